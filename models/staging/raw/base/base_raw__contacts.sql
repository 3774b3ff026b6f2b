{{ checked_raw(source('raw', 'contacts'), ref('landed_raw__contacts'), customers=ref('stg_raw__customers'),
              customer_ids=ref('landed_raw__customer_ids')) }}
