{%- set customers = ref('stg_raw__customers') -%}

{{ checked_raw(source('raw', 'orders'), ref('landed_raw__orders'), [
    ["customer_id not in (select customer_id from " ~ customers ~ ")", "unknown_customer", "customer_id"],
]) }}
