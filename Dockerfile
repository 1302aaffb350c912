# Build: docker build -t chatopsbot .
# Run:   docker run -p 8080:8080 -v chatopsbot-data:/data -e ChatOpsBot__PublicBaseUrl=https://ota.example.com chatopsbot
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig appsettings.json ./
COPY src/ src/
# tests/ChatOpsBot.Tests/DeploymentTests.cs runs this exact publish command and boots its output.
RUN dotnet publish src/ChatOpsBot/ChatOpsBot.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
RUN mkdir -p /data && chown app /data
USER app
# The port through the standard setting, so -e ASPNETCORE_URLS=… or -e ASPNETCORE_HTTP_PORTS=… still choose another.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    ChatOpsBot__DataDirectory=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["dotnet", "ChatOpsBot.dll"]
