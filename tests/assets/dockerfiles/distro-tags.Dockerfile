FROM debian:stable-slim
FROM ubuntu:noble
FROM amazonlinux:2023
FROM eclipse-temurin:21-jre-jammy
FROM node:20-alpine
