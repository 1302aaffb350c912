using System.Collections.Concurrent;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Links;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Tests;

/// <summary>
/// The background writer of link events when the database is gone. A BackgroundService that throws stops the whole
/// host, so a PostgreSQL restart during manifest traffic once took a replica's process down with it (seen in
/// ReplicaOutageTests): whatever a flush meets, the flusher must log it and go on with the next events.
/// </summary>
public sealed class LinkEventFlusherTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task APostgresServerThatRefusesConnectionsCostsTheEventsOfThatMomentAndNotTheFlusher()
    {
        // Nothing listens on the port: every connection is refused at once, and EF Core's retrying strategy (as the
        // host configures it, without the delay) ends in RetryLimitExceededException.
        var nowhere = $"Host=127.0.0.1;Port={Loopback.FreePort()};Username=postgres;Database=chatopsbot;Timeout=5";
        await using var running = await FlusherAsync(services => services.AddDbContext<ChatOpsBotDb>(o =>
            o.UseNpgsql(nowhere, npgsql => npgsql.EnableRetryOnFailure(maxRetryCount: 1, maxRetryDelay: TimeSpan.Zero, errorCodesToAdd: null))));

        // Several at once take the one-statement path for PostgreSQL, which is where the exception escaped.
        for (var round = 1; round <= 2; round++)
        {
            running.PostEvents(3);
            await running.WaitForLogAsync("[3201] Lost 1 link events", 3 * round);
            Assert.False(running.Flusher.ExecuteTask!.IsCompleted, "the flusher stopped: " + running.Flusher.ExecuteTask.Exception);
        }
        Assert.Contains(running.Logs, l => l.Contains("[5301]", StringComparison.Ordinal) && l.Contains("RetryLimitExceededException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFlushThatThrowsIsLoggedAndTheNextEventsAreStillWritten()
    {
        var broken = true;
        var sqlite = Path.Combine(Path.GetTempPath(), $"chatopsbot-flusher-{Guid.NewGuid():N}.db");
        try
        {
            await using var running = await FlusherAsync(services => services.AddScoped(_ => broken
                ? throw new InvalidOperationException("The database is not configured.")
                : new ChatOpsBotDb(new DbContextOptionsBuilder<ChatOpsBotDb>().UseSqlite($"Data Source={sqlite};Pooling=False").Options)));
            await using (var db = new ChatOpsBotDb(new DbContextOptionsBuilder<ChatOpsBotDb>().UseSqlite($"Data Source={sqlite};Pooling=False").Options))
                await db.Database.EnsureCreatedAsync();

            running.PostEvents(1);
            await running.WaitForLogAsync("[5302]", 1);
            Assert.False(running.Flusher.ExecuteTask!.IsCompleted, "the flusher stopped: " + running.Flusher.ExecuteTask.Exception);

            broken = false;
            running.PostEvents(2);
            await Eventually.TrueAsync(async () =>
            {
                await using var db = new ChatOpsBotDb(new DbContextOptionsBuilder<ChatOpsBotDb>().UseSqlite($"Data Source={sqlite};Pooling=False").Options);
                // The failed flush never took its event off the queue, so it is written with the later two.
                return await db.LinkEvents.CountAsync() == 3;
            }, Deadline, () => "the events posted before and after the failed flush were never written:\n" + string.Join("\n", running.Logs));
        }
        finally
        {
            File.Delete(sqlite);
        }
    }

    private static async Task<RunningFlusher> FlusherAsync(Action<IServiceCollection> database)
    {
        var logs = new ConcurrentQueue<string>();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(new RecordingLoggerProvider(logs)));
        services.AddSingleton<LinkEventLog>();
        database(services);
        var provider = services.BuildServiceProvider();
        var flusher = new LinkEventFlusher(provider.GetRequiredService<LinkEventLog>(), provider.GetRequiredService<IServiceScopeFactory>());
        await flusher.StartAsync(CancellationToken.None);
        return new RunningFlusher(provider, flusher, logs);
    }

    private sealed class RunningFlusher(ServiceProvider provider, LinkEventFlusher flusher, ConcurrentQueue<string> logs) : IAsyncDisposable
    {
        private int _posted;

        public LinkEventFlusher Flusher => flusher;

        public IReadOnlyCollection<string> Logs => logs;

        public void PostEvents(int count)
        {
            var events = provider.GetRequiredService<LinkEventLog>();
            for (var i = 0; i < count; i++)
                events.Post(new LinkEvent { LinkId = 1, Kind = LinkEventKind.ManifestFetch, At = new DateTime(2026, 12, 3, 9, 0, 0, DateTimeKind.Utc), UserAgent = $"event {++_posted}" });
        }

        public Task WaitForLogAsync(string text, int times) =>
            Eventually.TrueAsync(() => Task.FromResult(logs.Count(l => l.Contains(text, StringComparison.Ordinal)) >= times), Deadline,
                () => $"never logged \"{text}\" {times} times:\n" + string.Join("\n", logs));

        public async ValueTask DisposeAsync()
        {
            // Stopping flushes what is left; with the database gone that fails too, which must not throw here either.
            await flusher.StopAsync(CancellationToken.None);
            flusher.Dispose();
            await provider.DisposeAsync();
        }
    }
}
