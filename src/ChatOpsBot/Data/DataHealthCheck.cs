using ChatOpsBot.Features.Builds;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatOpsBot.Data;

internal sealed class DataHealthCheck(ChatOpsBotDb db, FileSystemArtifactStore artifacts) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!await db.Database.CanConnectAsync(cancellationToken))
            return HealthCheckResult.Unhealthy("The database is unreachable.");
        if (!Directory.Exists(artifacts.TemporaryDirectory))
            return HealthCheckResult.Unhealthy("The artifact directory is missing.");
        return HealthCheckResult.Healthy();
    }
}
