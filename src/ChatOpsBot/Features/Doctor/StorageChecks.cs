using System.Globalization;
using System.Security.Cryptography;
using ChatOpsBot.Core.Doctor;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Builds;
using Hangfire;
using Hangfire.InMemory;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Doctor;

/// <summary>The host's own state: the database and its schema, the artifact store and its space, the job storage.</summary>
internal sealed class StorageChecks(
    ChatOpsBotDb db,
    DatabaseSchema schema,
    IArtifactStore artifacts,
    JobStorage jobs,
    TimeProvider time,
    IOptions<ChatOpsBotOptions> options)
{
    public const string DatabaseCheck = "database";
    public const string ArtifactCheck = "artifact store";
    public const string DiskCheck = "disk space";
    public const string JobsCheck = "job storage";

    /// <summary>A Hangfire server heartbeats every 30 seconds; one silent for longer than this is gone.</summary>
    internal static readonly TimeSpan HeartbeatWindow = TimeSpan.FromMinutes(2);

    /// <summary>The rest, after <see cref="DatabaseAsync"/> (which the install probe waits for) found <paramref name="database"/>.</summary>
    public async Task<IReadOnlyList<DoctorFinding>> RunAsync(DoctorFinding database, CancellationToken cancellationToken)
    {
        List<DoctorFinding> findings = [database, await ArtifactsAsync(cancellationToken)];
        if (database.Verdict == DoctorVerdict.Ok)
            findings.AddRange(await DiskAsync(cancellationToken));
        findings.Add(Jobs(database));
        return findings;
    }

    public async Task<DoctorFinding> DatabaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            // One attempt first: the start's own check waits minutes for a PostgreSQL server that is not up yet.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.CloseConnectionAsync();
            // The start's own check without migrating: what it would refuse is a problem, in its words.
            await schema.PrepareAsync(migrate: false, cancellationToken);
            var applied = await db.Database.GetAppliedMigrationsAsync(cancellationToken);
            return DoctorFinding.Ok(DatabaseCheck, $"{options.Value.Database.Provider} database reachable and current (migration {applied.LastOrDefault() ?? "none"}).");
        }
        catch (DatabaseSchemaException e) when (e.Behind && options.Value.Database.MigrateAtStart)
        {
            return DoctorFinding.Warning(DatabaseCheck,
                "the database is behind this version (it has pending migrations); the host applies them when it starts, or run `dotnet ChatOpsBot.dll migrate` now.");
        }
        catch (DatabaseSchemaException e)
        {
            return DoctorFinding.Problem(DatabaseCheck, e.Message);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or RetryLimitExceededException)
        {
            var reason = e is RetryLimitExceededException { InnerException: { } last } ? last.Message : e.Message;
            return DoctorFinding.Problem(DatabaseCheck,
                $"the {options.Value.Database.Provider} database cannot be reached ({reason}): check {ChatOpsBotOptions.Section}:Database:ConnectionString and that the server runs.");
        }
    }

    /// <summary>
    /// Writes, reads back and deletes a small probe artifact through the store the host uses. Its content is unique to
    /// this run, so no build shares it and deleting it needs none of the locks that guard real artifacts.
    /// </summary>
    private async Task<DoctorFinding> ArtifactsAsync(CancellationToken cancellationToken)
    {
        var provider = options.Value.Artifacts.Provider;
        var content = System.Text.Encoding.UTF8.GetBytes($"ChatOpsBot doctor probe {Guid.NewGuid():N}");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        try
        {
            await artifacts.AddAsync(content, sha256, cancellationToken);
            try
            {
                await using var read = await artifacts.OpenReadAsync(sha256, cancellationToken);
                if (read is null)
                    return DoctorFinding.Problem(ArtifactCheck, $"a probe artifact written to the {provider} store could not be read back: check that every replica uses the same store.");
            }
            finally
            {
                await artifacts.DeleteAsync(sha256, CancellationToken.None);
            }
            return DoctorFinding.Ok(ArtifactCheck, $"{provider} store: a probe artifact was written, read back and deleted.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArtifactStoreUnavailableException)
        {
            var fix = provider == ArtifactProvider.S3
                ? $"check {ChatOpsBotOptions.Section}:Artifacts:S3 (service URL, bucket, credentials allowed to put and delete objects)."
                : $"let the host's user write to {Path.Combine(options.Value.DataPath, "artifacts")}.";
            return DoctorFinding.Problem(ArtifactCheck, $"the {provider} store refused a probe artifact ({e.Message}): {fix}");
        }
    }

    /// <summary>An upload is spooled to the artifact directory's file system before it is stored: it needs its size free.</summary>
    private async Task<IReadOnlyList<DoctorFinding>> DiskAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Artifacts.Provider != ArtifactProvider.FileSystem)
            return [];
        var largest = await db.Builds.AsNoTracking().MaxAsync(b => (long?)b.Size, cancellationToken) ?? 0;
        var directory = Path.Combine(options.Value.DataPath, "artifacts");
        long free;
        try
        {
            free = new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return [DoctorFinding.Warning(DiskCheck, $"the free space of {directory} could not be read ({e.Message}).")];
        }
        return [Disk(free, largest, directory)];
    }

    /// <summary>A problem when the largest build would not fit again, a warning under three times its size.</summary>
    internal static DoctorFinding Disk(long free, long largest, string directory)
    {
        if (largest == 0)
            return DoctorFinding.Ok(DiskCheck, $"{Size(free)} free for artifacts; no build stored yet.");
        if (free < largest)
            return DoctorFinding.Problem(DiskCheck, $"{Size(free)} free for artifacts, less than the largest build ({Size(largest)}): free space or grow the volume of {directory}, or lower {ChatOpsBotOptions.Section}:Retention:KeepBuildsPerChannel.");
        if (free < 3 * largest)
            return DoctorFinding.Warning(DiskCheck, $"{Size(free)} free for artifacts, room for fewer than three builds the size of the largest ({Size(largest)}): free space or grow the volume of {directory}.");
        return DoctorFinding.Ok(DiskCheck, $"{Size(free)} free for artifacts; the largest build is {Size(largest)}.");
    }

    private DoctorFinding Jobs(DoctorFinding database)
    {
        if (jobs is InMemoryStorage)
            return DoctorFinding.Ok(JobsCheck, "in-memory job storage: the job server lives in the host process; the Health page of the running host checks it (job server).");
        // On PostgreSQL the job storage's tables are installed with the migrations.
        if (database.Verdict != DoctorVerdict.Ok)
            return DoctorFinding.Warning(JobsCheck, "not checked: the job storage lives in the database, which is not current (see database above).");
        try
        {
            var now = time.GetUtcNow().UtcDateTime;
            var servers = jobs.GetMonitoringApi().Servers();
            var alive = servers.Count(s => s.Heartbeat is { } beat && now - beat <= HeartbeatWindow);
            if (alive == 0)
                return DoctorFinding.Problem(JobsCheck,
                    $"no job server has sent a heartbeat in the last {HeartbeatWindow.TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes ({servers.Count} known): start a replica with {ChatOpsBotOptions.Section}:Jobs:Enabled true, or links will not expire and announcements will not be sent.");
            return DoctorFinding.Ok(JobsCheck, $"{alive} job server{(alive == 1 ? "" : "s")} with a recent heartbeat.");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            return DoctorFinding.Problem(JobsCheck, $"the job storage cannot be read ({e.Message}): check {ChatOpsBotOptions.Section}:Database:ConnectionString.");
        }
    }

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
