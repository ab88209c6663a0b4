FROM localhost:5000/team/app:1.0 AS app
FROM [::1]:5000/x:1
FROM 123456789012.dkr.ecr.eu-west-1.amazonaws.com/base:2024.01
FROM registry.access.redhat.com/ubi9/python-311:1-66
