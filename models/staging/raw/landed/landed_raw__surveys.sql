{{ land_raw(source('raw', 'surveys')) }}
