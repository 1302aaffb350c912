using ChatOpsBot.Features.Builds;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatOpsBot.Data;

/// <summary>
/// Readiness: the database answers, and the artifact store can be used (the directory is there; the bucket answers). One instance per host (a singleton), so
/// that checks share the probe under way instead of each opening another connection; a probe that has outlived the
/// deadline is left to the driver's own timeouts and the next check starts a fresh one, so the host reports ready
/// as soon as the database answers again, with at most one new connection attempt per deadline meanwhile.
/// </summary>
internal sealed class DataHealthCheck(IServiceScopeFactory scopes, FileSystemArtifactStore spool, IArtifactStore artifacts) : IHealthCheck
{
    /// <summary>
    /// How long a check waits for the database before it answers unhealthy. A database that does not answer at all
    /// (a cut network, a host gone without a reset) would otherwise hold /readyz for the driver's connect and command
    /// timeouts, which the driver does not always cut short on cancellation, and a load balancer's probe would time
    /// out instead of reading 503.
    /// </summary>
    internal static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private Task<bool>? _probe;
    private long _probeStartedAt;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        bool reachable;
        try
        {
            // A wall-clock deadline, not a reading of the clock: so not the injected TimeProvider.
            reachable = await CurrentProbe().WaitAsync(Timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"The database did not answer within {Timeout.TotalSeconds:0} seconds.");
        }
        if (!reachable)
            return HealthCheckResult.Unhealthy("The database is unreachable.");
        if (!Directory.Exists(spool.TemporaryDirectory))
            return HealthCheckResult.Unhealthy("The artifact directory is missing.");
        string? problem;
        try
        {
            // The same wall-clock deadline: an object store that does not answer is a 503, not a probe timing out.
            problem = await artifacts.ProbeAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"The artifact store did not answer within {Timeout.TotalSeconds:0} seconds.");
        }
        return problem is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(problem);
    }

    private Task<bool> CurrentProbe()
    {
        lock (_lock)
        {
            if (_probe is null || _probe.IsCompleted || Environment.TickCount64 - _probeStartedAt >= (long)Timeout.TotalMilliseconds)
            {
                _probe = Task.Run(ProbeAsync);
                _probeStartedAt = Environment.TickCount64;
            }
            return _probe;
        }
    }

    /// <summary>
    /// Runs in a scope of its own, which lives as long as the probe does: a check that stopped waiting leaves the
    /// probe's context alone rather than returning it to the pool while it is still in use.
    /// </summary>
    private async Task<bool> ProbeAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            return await scope.ServiceProvider.GetRequiredService<ChatOpsBotDb>().Database.CanConnectAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }
}
