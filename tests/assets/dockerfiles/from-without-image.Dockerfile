FROM
FROM   
FROM --platform=linux/arm64
