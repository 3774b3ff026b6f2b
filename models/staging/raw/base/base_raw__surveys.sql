{{ checked_raw(source('raw', 'surveys'), ref('landed_raw__surveys'), customers=ref('stg_raw__customers'),
              customer_ids=ref('landed_raw__customer_ids')) }}
