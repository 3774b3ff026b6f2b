{{ land_raw(source('raw', 'customers')) }}
