{{ land_raw(source('raw', 'contacts')) }}
