{{ checked_raw(source('raw', 'customers'), ref('landed_raw__customers')) }}
