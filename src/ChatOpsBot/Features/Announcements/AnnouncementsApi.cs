using System.Security.Claims;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Data;
using ChatOpsBot.Features.ApiKeys;
using ChatOpsBot.Features.Builds;
using ChatOpsBot.Features.Install;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Announcements;

internal sealed record AnnouncementResponse(
    long Id,
    long BuildId,
    string App,
    string Channel,
    string Version,
    string BuildNumber,
    string AnnouncedBy,
    DateTime CreatedAt,
    int Pending,
    int Delivered,
    int Failed,
    AnnouncementTargetResponse[] Targets);

/// <summary>One conversation of an announcement; <c>failed</c> is for good, <c>pending</c> and <c>sending</c> are still trying.</summary>
internal sealed record AnnouncementTargetResponse(
    string Platform,
    string? Workspace,
    string ConversationId,
    string? Name,
    DeliveryState State,
    int Attempts,
    string? LastError,
    DateTime? NextAttemptAt,
    DateTime? DeliveredAt);

internal static partial class AnnouncementsApi
{
    public static WebApplicationBuilder AddAnnouncements(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<Announcer>();
        builder.Services.AddScoped<IAnnouncements>(services => services.GetRequiredService<Announcer>());
        builder.Services.AddScoped<AnnouncementDeliveryJob>();
        builder.Services.AddOptions<AnnouncementOptions>().BindConfiguration(AnnouncementOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AnnouncementOptions>, AnnouncementOptionsValidator>();
        var options = builder.Configuration.GetSection(ChatOpsBotOptions.Section).Get<ChatOpsBotOptions>() ?? new();
        if (options.Jobs.Enabled)
            builder.Services.AddHostedService<AnnouncementOutbox>();
        return builder;
    }

    public static WebApplication MapAnnouncements(this WebApplication app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(ApiKeyAuthentication.ReleaseManager)
            .WithTags("Announcements")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPost("/builds/{id:long}/announcements", Announce)
            .WithSummary("Announce a build to every conversation subscribed to its app and channel (ReleaseManager or Admin)");
        api.MapGet("/announcements/{id:long}", GetAnnouncement)
            .WithSummary("Who received an announcement and which conversations failed for good (ReleaseManager or Admin)");

        // Chat platforms fetch the announcement's icon without any credential. Only icons of active builds are
        // served, by their content hash, which says nothing a reader of the announcement does not already see.
        app.MapGet("/icons/{sha256}.png", Icon)
            .AddEndpointFilter(async (context, next) =>
            {
                var headers = context.HttpContext.Response.Headers;
                headers.CacheControl = "no-store";
                headers.XContentTypeOptions = "nosniff";
                return await next(context);
            })
            .RequirePerClientLimit(AnonymousRoute.Icons)
            .ExcludeFromDescription();
        return app;
    }

    public static string IconUrl(string publicBaseUrl, string iconSha256) => $"{publicBaseUrl.TrimEnd('/')}/icons/{iconSha256}.png";

    internal static async Task<Results<Accepted<AnnouncementResponse>, ProblemHttpResult>> Announce(
        long id, ClaimsPrincipal user, Announcer announcer, CancellationToken cancellationToken)
    {
        var outcome = await announcer.AnnounceAsync(id, user.Identity?.Name ?? "unknown", cancellationToken);
        return outcome switch
        {
            { Announcement: { } announcement } => TypedResults.Accepted(Location(announcement.Id),
                await ResponseAsync(announcement.Id, announcer, cancellationToken) ?? throw new InvalidOperationException("The announcement just written is gone.")),
            { Problem: AnnounceProblem.RevokedBuild } => TypedResults.Problem($"Build {id} has been revoked; announce an active build.",
                statusCode: StatusCodes.Status409Conflict, title: "Revoked build"),
            _ => TypedResults.Problem($"There is no build {id}.", statusCode: StatusCodes.Status404NotFound, title: "Unknown build"),
        };
    }

    internal static async Task<Results<Ok<AnnouncementResponse>, ProblemHttpResult>> GetAnnouncement(
        long id, Announcer announcer, CancellationToken cancellationToken) =>
        await ResponseAsync(id, announcer, cancellationToken) is { } response
            ? TypedResults.Ok(response)
            : TypedResults.Problem($"There is no announcement {id}.", statusCode: StatusCodes.Status404NotFound, title: "Unknown announcement");

    internal static async Task<IResult> Icon(string sha256, ChatOpsBotDb db, IArtifactStore artifacts, CancellationToken cancellationToken)
    {
        // The icon's type is the build's: an APK's icon may be WebP or JPEG.
        if (!Sha256().IsMatch(sha256)
            || await db.Builds.Where(b => b.IconSha256 == sha256 && b.State == BuildState.Active)
                .Select(b => b.IconContentType).FirstOrDefaultAsync(cancellationToken) is not { } contentType
            || await artifacts.OpenReadAsync(sha256, cancellationToken) is not { } stream)
            return TypedResults.Text("No icon.", "text/plain", statusCode: StatusCodes.Status404NotFound);
        return TypedResults.Stream(stream, contentType);
    }

    public static string Location(long announcementId) => $"/api/v1/announcements/{announcementId}";

    private static async Task<AnnouncementResponse?> ResponseAsync(long id, Announcer announcer, CancellationToken cancellationToken)
    {
        if (await announcer.GetAnnouncementAsync(id, cancellationToken) is not { } status)
            return null;
        var deliveries = await announcer.DeliveriesAsync(id, cancellationToken);
        return new AnnouncementResponse(status.Id, status.Build.Id, status.Build.AppSlug, status.Build.Channel, status.Build.Version,
            status.Build.BuildNumber, status.AnnouncedBy, status.CreatedAt.UtcDateTime,
            deliveries.Count(d => d.State is DeliveryState.Pending or DeliveryState.Sending),
            deliveries.Count(d => d.State == DeliveryState.Delivered),
            deliveries.Count(d => d.State == DeliveryState.Failed),
            [.. deliveries.Select(d => new AnnouncementTargetResponse(d.Platform, d.Workspace, d.ConversationId, d.ConversationName, d.State, d.Attempts,
                d.LastError, d.State == DeliveryState.Pending ? d.NextAttemptAt : null, d.DeliveredAt))]);
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256();
}
