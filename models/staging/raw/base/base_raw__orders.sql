{{ checked_raw(source('raw', 'orders'), ref('landed_raw__orders'), customers=ref('stg_raw__customers')) }}
