# Build: docker build -t chatopsbot .
# Run:   docker run -p 8080:8080 -v chatopsbot-data:/data -e ChatOpsBot__PublicBaseUrl=https://ota.example.com chatopsbot
# Migrate as a one-off container (same settings, then exits): docker run --rm -e ChatOpsBot__Database__… chatopsbot migrate
# Several replicas behind nginx with PostgreSQL: deploy/docker-compose.yml and deploy/README.md.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig appsettings.json ./
COPY manifests/ manifests/
COPY src/ src/
# tests/ChatOpsBot.Tests/DeploymentTests.cs runs this exact publish command and boots its output.
RUN dotnet publish src/ChatOpsBot/ChatOpsBot.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# /data/artifacts exists in the image, owned by app, so a named volume mounted there (the artifacts volume replicas
# share, deploy/docker-compose.yml) starts owned by app too: Docker copies a new volume's ownership from the image.
RUN mkdir -p /data/artifacts && chown -R app /data
# The non-root user of Microsoft's images (uid 1654).
USER app
# The port through the standard setting, so -e ASPNETCORE_URLS=… or -e ASPNETCORE_HTTP_PORTS=… still choose another.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    ChatOpsBot__DataDirectory=/data
VOLUME /data
EXPOSE 8080
# The image has no curl or wget: the binary probes /healthz itself, at the address the settings above choose.
HEALTHCHECK --interval=30s --timeout=10s --start-period=2m --retries=3 \
    CMD ["dotnet", "/app/ChatOpsBot.dll", "healthcheck"]
# Arguments after the image name go to the binary: `docker run chatopsbot migrate` applies migrations and exits.
ENTRYPOINT ["dotnet", "ChatOpsBot.dll"]
