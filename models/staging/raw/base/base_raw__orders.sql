{{ checked_raw(source('raw', 'orders'), ref('landed_raw__orders'), customers=ref('stg_raw__customers'),
              customer_ids=ref('landed_raw__customer_ids')) }}
