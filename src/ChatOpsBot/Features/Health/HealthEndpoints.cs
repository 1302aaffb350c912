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
        // Liveness only: it says the process serves HTTP, nothing about its dependencies.
        app.MapHealthChecks("/healthz");
        return app;
    }
}
