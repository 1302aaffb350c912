using System.Globalization;
using ChatOpsBot.Core.Doctor;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.Storage.Monitoring;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Doctor;

/// <summary>
/// "Job server alive", which only the running host can answer (the Health page): the <c>doctor</c> command starts no
/// job server, and in-memory job storage is the host process's own. Alive means a Hangfire server in the storage with a
/// heartbeat within <see cref="StorageChecks.HeartbeatWindow"/>.
/// </summary>
internal sealed class JobServerCheck(JobStorage jobs, TimeProvider time, IOptions<ChatOpsBotOptions> options)
{
    public const string Check = "job server";

    public DoctorFinding Run()
    {
        var inMemory = jobs is InMemoryStorage;
        if (!options.Value.Jobs.Enabled)
            return Skipped(inMemory);
        IReadOnlyList<ServerDto> servers;
        try
        {
            servers = [.. jobs.GetMonitoringApi().Servers()];
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            return DoctorFinding.Problem(Check, $"the job storage cannot be read ({e.Message}): check {ChatOpsBotOptions.Section}:Database:ConnectionString.");
        }
        return Judge(servers, time.GetUtcNow().UtcDateTime);
    }

    internal static DoctorFinding Skipped(bool inMemory) => inMemory
        ? DoctorFinding.Warning(Check, $"skipped: {ChatOpsBotOptions.Section}:Jobs:Enabled is false, so this host runs no job server, and its in-memory job storage "
            + $"is reached by nothing else: links do not expire and announcements are not sent until you set {ChatOpsBotOptions.Section}:Jobs:Enabled to true.")
        : DoctorFinding.Ok(Check, $"skipped: {ChatOpsBotOptions.Section}:Jobs:Enabled is false, so this host runs no job server; "
            + "the replicas that do are checked under job storage.");

    /// <summary>Ok with the live servers counted, a problem when none has sent a heartbeat within the window.</summary>
    internal static DoctorFinding Judge(IReadOnlyList<ServerDto> servers, DateTime now)
    {
        // A heartbeat a little ahead of this clock (another replica's clock) is a live one too.
        var alive = servers.Where(s => s.Heartbeat is { } beat && now - beat <= StorageChecks.HeartbeatWindow).ToList();
        var window = StorageChecks.HeartbeatWindow.TotalMinutes.ToString(CultureInfo.InvariantCulture);
        if (alive.Count == 0)
            return DoctorFinding.Problem(Check, $"no job server has sent a heartbeat in the last {window} minutes ({servers.Count} known): "
                + "the job server has stopped, so links do not expire and announcements are not sent; restart the host and look in its log for Hangfire's errors.");
        var workers = alive.Sum(s => s.WorkersCount);
        return DoctorFinding.Ok(Check, string.Create(CultureInfo.InvariantCulture,
            $"{alive.Count} job server{(alive.Count == 1 ? "" : "s")} with a heartbeat in the last {window} minutes, {workers} worker{(workers == 1 ? "" : "s")}."));
    }
}
