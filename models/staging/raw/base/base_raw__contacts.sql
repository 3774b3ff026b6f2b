{{ checked_raw(source('raw', 'contacts'), ref('landed_raw__contacts'), customers=ref('stg_raw__customers')) }}
