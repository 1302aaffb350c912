using ChatOpsBot.Features.Builds;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Data;

internal static class DataExtensions
{
    public static WebApplicationBuilder AddData(this WebApplicationBuilder builder)
    {
        builder.Services.AddDbContext<ChatOpsBotDb>((services, db) =>
        {
            var options = services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value;
            db.UseSqlite(options.Database.ConnectionString is { Length: > 0 } connectionString
                ? connectionString
                : new SqliteConnectionStringBuilder
                {
                    DataSource = Path.Combine(options.DataPath, "chatopsbot.db"),
                    Pooling = true,
                }.ToString());
        });
        builder.Services.AddSingleton(services =>
            new FileSystemArtifactStore(services.GetRequiredService<IOptions<ChatOpsBotOptions>>().Value.DataPath));
        builder.Services.AddSingleton<IArtifactStore>(services => services.GetRequiredService<FileSystemArtifactStore>());
        builder.Services.AddHostedService<DataInitializer>();
        builder.Services.AddHealthChecks().AddCheck<DataHealthCheck>("data", tags: ["ready"]);
        return builder;
    }
}

/// <summary>Creates the schema and clears temporary upload files before the server takes requests.</summary>
internal sealed partial class DataInitializer(IServiceScopeFactory scopes, FileSystemArtifactStore artifacts, IOptions<ChatOpsBotOptions> options, ILogger<DataInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Value.DataPath);
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>();
            await db.Database.EnsureCreatedAsync(cancellationToken);
        }
        var removed = artifacts.RemoveTemporaryFiles();
        if (removed > 0)
            LogTemporaryFilesRemoved(removed);
        LogDataReady(options.Value.DataPath);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Removed {Count} temporary upload files left by an earlier run")]
    private partial void LogTemporaryFilesRemoved(int count);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Data directory {DataDirectory} ready")]
    private partial void LogDataReady(string dataDirectory);
}
