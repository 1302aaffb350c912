using System.Collections.Concurrent;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Links;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace ChatOpsBot.Tests;

/// <summary>
/// The group-commit writer on a real database (a SQLite file; on the PostgreSQL pass a database of its own), without a
/// host: with no background flusher running, rows queued before a request's own row are committed in that request's
/// transaction, so the batches are known exactly.
/// </summary>
public sealed class LinkEventLogTests : IAsyncLifetime, IDisposable
{
    private static readonly DateTime At = new(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("chatopsbot-events-");
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly ILoggerFactory _loggers;
    private readonly LinkEventLog _log;
    private DbContextOptions<ChatOpsBotDb> _options = null!;
    private string? _postgres;
    private long _buildId;
    private long _linkId;

    public LinkEventLogTests()
    {
        _loggers = LoggerFactory.Create(logging => logging.AddProvider(new RecordingLoggerProvider(_logs)));
        _log = new LinkEventLog(_loggers.CreateLogger<LinkEventLog>());
    }

    public async Task InitializeAsync()
    {
        var options = new DbContextOptionsBuilder<ChatOpsBotDb>();
        if (TestProvider.IsPostgres)
            options.UseNpgsql(_postgres = await TestPostgres.CreateDatabaseAsync());
        else
            options.UseSqlite($"Data Source={Path.Combine(_directory.FullName, "chatopsbot.db")};Pooling=False");
        _options = options.Options;
        await using var db = new ChatOpsBotDb(_options);
        await db.Database.EnsureCreatedAsync();
        var app = new App { Slug = "demo", DisplayName = "Demo", BundleId = "com.example.demo" };
        var build = new Build
        {
            App = app, Channel = "beta", Version = "1.0", BuildNumber = "1", BundleId = "com.example.demo", DisplayName = "Demo",
            Sha256 = new string('a', 64), UploadedBy = "ci",
        };
        db.Builds.Add(build);
        await db.SaveChangesAsync();
        _buildId = build.Id;
        _linkId = (await AddLinkAsync(db)).Id;
        // A row the database refuses. Nothing in the schema refuses an event (links are never deleted, so events have
        // no foreign key), but a full disk, a lost connection or a bug can: the database is told to refuse this one.
        await db.Database.ExecuteSqlRawAsync(TestProvider.IsPostgres
            ? $"""ALTER TABLE "LinkEvents" ADD CONSTRAINT refuse CHECK ("UserAgent" IS DISTINCT FROM '{Refused}')"""
            : $"""CREATE TRIGGER refuse BEFORE INSERT ON "LinkEvents" WHEN NEW."UserAgent" = '{Refused}' BEGIN SELECT RAISE(ABORT, 'refused'); END""");
    }

    /// <summary>The user agent of an event the database refuses.</summary>
    private const string Refused = "refused by the database";

    private async Task<InstallLink> AddLinkAsync(ChatOpsBotDb db)
    {
        var link = NewLink();
        db.InstallLinks.Add(link);
        await db.SaveChangesAsync();
        return link;
    }

    private InstallLink NewLink() => new()
    {
        BuildId = _buildId, TokenHash = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), Platform = "api", UserId = "ada", UserName = "Ada",
        CreatedAt = At, ExpiresAt = At.AddHours(1),
    };

    private static LinkEvent Event(long linkId, string userAgent) =>
        new() { LinkId = linkId, Kind = LinkEventKind.ManifestFetch, At = At, UserAgent = userAgent };

    private async Task<string[]> RecordedAsync()
    {
        await using var db = new ChatOpsBotDb(_options);
        return await db.LinkEvents.OrderBy(e => e.Id).Select(e => e.UserAgent ?? "").ToArrayAsync();
    }

    public async Task DisposeAsync()
    {
        _directory.Delete(recursive: true);
        if (_postgres is not null)
            await TestPostgres.DropDatabaseAsync(new Npgsql.NpgsqlConnectionStringBuilder(_postgres).Database!);
    }

    public void Dispose()
    {
        _log.Dispose();
        _loggers.Dispose();
    }

    [Fact]
    public async Task ARowThatCannotBeWrittenFailsAloneWhileTheRestOfItsBatchIsCommitted()
    {
        await using var request = new ChatOpsBotDb(_options);
        _log.Post(Event(_linkId, "posted before"));
        _log.Post(Event(_linkId, Refused));
        _log.Post(Event(_linkId, "posted after"));
        var minted = NewLink();

        // This request's commit takes the three queued rows with its own: the batch has one bad row.
        await _log.AddAsync(request, minted, CancellationToken.None);
        await _log.AddAsync(request, Event(minted.Id, "of the new link"), CancellationToken.None);

        Assert.True(minted.Id > 0);
        Assert.Equal(["posted before", "posted after", "of the new link"], await RecordedAsync());
        Assert.Single(_logs, l => l.Contains("[3201] Lost 1 link events", StringComparison.Ordinal));
        Assert.Single(_logs, l => l.Contains("[5301]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARequestWhoseOwnRowFailsGetsTheErrorAndTheOthersInItsBatchAreCommitted()
    {
        await using var request = new ChatOpsBotDb(_options);
        _log.Post(Event(_linkId, "posted"));

        await Assert.ThrowsAsync<DbUpdateException>(() => _log.AddAsync(request, Event(_linkId, Refused), CancellationToken.None));
        await _log.AddAsync(request, Event(_linkId, "the next request"), CancellationToken.None);

        Assert.Equal(["posted", "the next request"], await RecordedAsync());
    }

    [Fact]
    public async Task EventsPostedInTheBackgroundAreStoredWithEveryFieldAlongsideARowThatIsWaitedFor()
    {
        // On PostgreSQL the posted events go in one statement of their own (arrays, not EF Core's insert per row).
        await using var request = new ChatOpsBotDb(_options);
        _log.Post(new LinkEvent { LinkId = _linkId, Kind = LinkEventKind.PageView, At = At, UserAgent = "Mozilla/5.0 (iPhone) ünïcode" });
        _log.Post(new LinkEvent { LinkId = _linkId, Kind = LinkEventKind.ManifestFetch, At = At.AddSeconds(1), UserAgent = null });
        _log.Post(new LinkEvent { LinkId = _linkId, Kind = LinkEventKind.ManifestFetch, At = At.AddSeconds(2), UserAgent = "itms" });
        var minted = NewLink();

        await _log.AddAsync(request, minted, CancellationToken.None);

        Assert.True(minted.Id > 0);
        await using var db = new ChatOpsBotDb(_options);
        var stored = await db.LinkEvents.OrderBy(e => e.At).Select(e => new { e.LinkId, e.Kind, e.At, e.UserAgent }).ToListAsync();
        Assert.Equal(
            [
                new { LinkId = _linkId, Kind = LinkEventKind.PageView, At, UserAgent = (string?)"Mozilla/5.0 (iPhone) ünïcode" },
                new { LinkId = _linkId, Kind = LinkEventKind.ManifestFetch, At = At.AddSeconds(1), UserAgent = (string?)null },
                new { LinkId = _linkId, Kind = LinkEventKind.ManifestFetch, At = At.AddSeconds(2), UserAgent = (string?)"itms" },
            ],
            stored.Select(e => new { e.LinkId, e.Kind, At = DateTime.SpecifyKind(e.At, DateTimeKind.Utc), e.UserAgent }));
        Assert.Equal(1, await db.InstallLinks.CountAsync(l => l.Id == minted.Id));
        Assert.DoesNotContain(_logs, l => l.Contains("[5301]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnEventTheDatabaseRefusesCostsOnlyItselfAmongManyPostedTogether()
    {
        await using var request = new ChatOpsBotDb(_options);
        for (var i = 0; i < 50; i++)
            _log.Post(Event(_linkId, i == 25 ? Refused : $"event {i:00}"));

        await _log.AddAsync(request, Event(_linkId, "the request's own"), CancellationToken.None);

        string[] expected = [.. Enumerable.Range(0, 50).Where(i => i != 25).Select(i => $"event {i:00}"), "the request's own"];
        Assert.Equal(expected, await RecordedAsync());
        Assert.Single(_logs, l => l.Contains("[3201] Lost 1 link events", StringComparison.Ordinal));
        Assert.Single(_logs, l => l.Contains("[5301]", StringComparison.Ordinal));
    }
}
