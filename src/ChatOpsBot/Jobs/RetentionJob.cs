using ChatOpsBot.Data;
using ChatOpsBot.Features.Builds;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Jobs;

/// <summary>
/// Hourly: per app and channel, keep the newest builds and every build younger than the minimum age; the rest are
/// revoked (with their links) and their files deleted once no active build uses them. Files no build knows are
/// removed too, once they are old enough not to belong to an upload that is still being registered. Every deletion
/// goes through <see cref="ArtifactCollector"/>, which checks the database again under the file's lock: an upload
/// that starts using a file after this job's snapshot keeps it.
/// </summary>
internal sealed partial class RetentionJob(
    ChatOpsBotDb db,
    IArtifactStore artifacts,
    ArtifactCollector collector,
    TimeProvider time,
    IOptions<ChatOpsBotOptions> options,
    Telemetry.ChatOpsBotMetrics metrics,
    ILogger<RetentionJob> logger)
{
    internal static readonly TimeSpan OrphanMinAge = TimeSpan.FromHours(1);
    private const int BatchSize = 500;

    [DisableConcurrentExecution(timeoutInSeconds: 3600)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(CancellationToken cancellationToken) => metrics.TimeJobAsync(JobsRegistration.Retention, () => RunOnceAsync(cancellationToken));

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var retention = options.Value.Retention;
        var youngerThan = now - retention.MinAge;

        var active = await db.Builds.AsNoTracking()
            .Where(b => b.State == BuildState.Active)
            .Select(b => new { b.Id, b.AppId, b.Channel, b.Platform, b.UploadedAt })
            .ToListAsync(cancellationToken);
        var prune = active
            // Per platform: an app's iOS uploads never push its Android builds out of a channel, nor the other way round.
            .GroupBy(b => (b.AppId, b.Channel, b.Platform))
            .SelectMany(g => g.OrderByDescending(b => b.Id).Skip(retention.KeepBuildsPerChannel))
            .Where(b => b.UploadedAt < youngerThan)
            .Select(b => b.Id)
            .ToList();

        foreach (var batch in prune.Chunk(BatchSize))
        {
            await db.Builds.Where(b => batch.Contains(b.Id) && b.State == BuildState.Active)
                .ExecuteUpdateAsync(b => b.SetProperty(x => x.State, BuildState.Revoked).SetProperty(x => x.RevokedAt, now), cancellationToken);
            await db.InstallLinks.Where(l => (batch.Contains(l.BuildId) || (l.SecondBuildId != null && batch.Contains(l.SecondBuildId.Value))) && l.RevokedAt == null)
                .ExecuteUpdateAsync(l => l.SetProperty(x => x.RevokedAt, now), cancellationToken);
        }

        // A file stays while any active build uses it (the same IPA can sit in several channels). This snapshot only
        // spares those files a query each; it is stale by the time a file is deleted, so the collector looks again.
        var inUse = (await db.Builds.AsNoTracking().Where(b => b.State == BuildState.Active)
                .Select(b => new { b.Sha256, b.IconSha256 }).ToListAsync(cancellationToken))
            .SelectMany(b => new[] { b.Sha256, b.IconSha256 })
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var known = (await db.Builds.AsNoTracking().Select(b => new { b.Sha256, b.IconSha256 }).ToListAsync(cancellationToken))
            .SelectMany(b => new[] { b.Sha256, b.IconSha256 })
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

        var deleted = 0;
        await foreach (var (sha256, lastWrite) in artifacts.ListAsync(cancellationToken))
        {
            if (inUse.Contains(sha256))
                continue;
            // A file no row names may be an upload by a process that does not share our lock (a host being replaced
            // mid-upload): give it time.
            if (!known.Contains(sha256) && now - lastWrite < OrphanMinAge)
                continue;
            if (await collector.DeleteIfUnusedAsync(sha256, cancellationToken))
                deleted++;
        }

        if (prune.Count + deleted > 0)
            LogPruned(prune.Count, deleted);
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Retention revoked {Builds} old builds and deleted {Files} unused files")]
    private partial void LogPruned(int builds, int files);
}
