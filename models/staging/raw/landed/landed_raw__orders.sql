{{ land_raw(source('raw', 'orders'), [
    ["status = 'completed' and revenue < 0", "negative_revenue", "revenue"],
]) }}
