using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace ChatOpsBot;

internal static class HealthEndpoints
{
    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks();
        return builder;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        // Liveness says the process serves HTTP; readiness that the database and artifact storage answer.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }
}
