# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022 `
  AS base
RUN echo C:\path\ `
  more
FROM `
  mcr.microsoft.com/dotnet/runtime:8.0-nanoserver-1809
