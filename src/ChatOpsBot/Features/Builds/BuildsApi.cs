using System.Security.Claims;
using ChatOpsBot.Data;
using ChatOpsBot.Features.Announcements;
using ChatOpsBot.Features.ApiKeys;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Builds;

internal static class BuildsApi
{
    public static WebApplicationBuilder AddBuilds(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<BuildIngest>();
        builder.Services.AddScoped<BuildRevocation>();
        builder.Services.AddSingleton<ArtifactLocks>();
        builder.Services.AddScoped<ArtifactCollector>();
        return builder;
    }

    public static WebApplication MapBuilds(this WebApplication app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(ApiKeyAuthentication.AnyKey)
            .WithTags("Builds")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        api.MapPost("/builds", UploadBuild)
            .WithSummary("Upload an .ipa or an .apk, recognised from its content (multipart/form-data: file, channel, app, notes, announce)")
            .Accepts<UploadForm>("multipart/form-data")
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/apps", ListApps).WithSummary("List apps and their channels");
        api.MapGet("/apps/{app}/builds", ListBuilds).WithSummary("List an app's builds, newest first");
        api.MapGet("/builds/{id:long}", GetBuild).WithSummary("Get a build");
        api.MapDelete("/builds/{id:long}", RevokeBuild)
            .RequireAuthorization(ApiKeyAuthentication.ReleaseManager)
            .WithSummary("Revoke a build (ReleaseManager or Admin)");
        return app;
    }

    internal static async Task<Results<Created<BuildResponse>, ProblemHttpResult>> UploadBuild(
        HttpContext context, ClaimsPrincipal user, BuildIngest ingest, Announcer announcer, IOptions<ChatOpsBotOptions> options, Telemetry.ChatOpsBotMetrics metrics)
    {
        var maxBytes = options.Value.Uploads.MaxBytes;
        // Room for the multipart framing around the file; the file itself is counted exactly while it streams.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes > long.MaxValue - 1024 * 1024 ? null : maxBytes + 1024 * 1024;

        var mayAnnounce = user.IsInRole(nameof(ApiRole.ReleaseManager)) || user.IsInRole(nameof(ApiRole.Admin));
        var outcome = await ingest.IngestAsync(context.Request, user.Identity?.Name ?? "unknown", maxBytes, mayAnnounce, context.RequestAborted);
        if (outcome.Build is { } build)
        {
            metrics.BuildUploaded(build.Platform);
            if (outcome.Announce)
            {
                // The build is stored: announce it even if the client hangs up now.
                var announced = await announcer.AnnounceAsync(build.Id, user.Identity?.Name ?? "unknown", CancellationToken.None);
                if (announced.Announcement is { } announcement)
                    context.Response.Headers.Link = $"<{AnnouncementsApi.Location(announcement.Id)}>; rel=\"announcement\"";
            }
            return TypedResults.Created($"/api/v1/builds/{build.Id}", BuildResponse.From(build, outcome.AppSlug!));
        }
        return TypedResults.Problem(outcome.Detail, statusCode: outcome.Status, title: outcome.Title, extensions: outcome.Extensions);
    }

    internal static async Task<Ok<AppResponse[]>> ListApps(ChatOpsBotDb db, CancellationToken cancellationToken)
    {
        var apps = await db.Apps.AsNoTracking().OrderBy(a => a.Slug).ToListAsync(cancellationToken);
        var channels = await db.Builds.AsNoTracking()
            .Where(b => b.State == BuildState.Active)
            .GroupBy(b => new { b.AppId, b.Channel })
            .Select(g => new { g.Key.AppId, g.Key.Channel, Count = g.Count(), Latest = g.Max(b => b.UploadedAt) })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(apps.Select(a => new AppResponse(a.Slug, a.DisplayName, a.BundleId, a.AndroidPackage, a.DefaultChannel,
            [.. channels.Where(c => c.AppId == a.Id).OrderBy(c => c.Channel, StringComparer.Ordinal)
                .Select(c => new ChannelResponse(c.Channel, c.Count, c.Latest))])).ToArray());
    }

    internal static async Task<Results<Ok<BuildResponse[]>, ProblemHttpResult>> ListBuilds(
        string app, string? channel, int? take, ChatOpsBotDb db, CancellationToken cancellationToken)
    {
        var appId = await db.Apps.Where(a => a.Slug == app).Select(a => (long?)a.Id).SingleOrDefaultAsync(cancellationToken);
        if (appId is null)
            return TypedResults.Problem($"There is no app '{app}'.", statusCode: StatusCodes.Status404NotFound, title: "Unknown app");
        var query = db.Builds.AsNoTracking().Where(b => b.AppId == appId);
        if (!string.IsNullOrEmpty(channel))
            query = query.Where(b => b.Channel == channel);
        var builds = await query.OrderByDescending(b => b.Id).Take(Math.Clamp(take ?? 50, 1, 500)).ToListAsync(cancellationToken);
        return TypedResults.Ok(builds.Select(b => BuildResponse.From(b, app)).ToArray());
    }

    internal static async Task<Results<Ok<BuildResponse>, ProblemHttpResult>> GetBuild(long id, ChatOpsBotDb db, CancellationToken cancellationToken)
    {
        var build = await db.Builds.AsNoTracking().Include(b => b.App).SingleOrDefaultAsync(b => b.Id == id, cancellationToken);
        return build is null
            ? NotFound(id)
            : TypedResults.Ok(BuildResponse.From(build, build.App.Slug));
    }

    internal static async Task<Results<Ok<BuildResponse>, ProblemHttpResult>> RevokeBuild(
        long id, BuildRevocation revocation, CancellationToken cancellationToken) =>
        await revocation.RevokeAsync(id, cancellationToken) is { Build: var build }
            ? TypedResults.Ok(BuildResponse.From(build, build.App.Slug))
            : NotFound(id);

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem($"There is no build {id}.", statusCode: StatusCodes.Status404NotFound, title: "Unknown build");

    /// <summary>The upload form, for the OpenAPI description only: the endpoint streams the body itself.</summary>
    internal sealed record UploadForm(IFormFile File, string Channel, string? App, string? Notes, bool? Announce);
}
