using System.Text;
using System.Text.Json;
using ChatOpsBot.Core.Chat;
using ChatOpsBot.Core.Devices;
using ChatOpsBot.Features.ApiKeys;
using ChatOpsBot.Features.Install;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Devices;

internal sealed record DeviceOwnerResponse(string Platform, string? Workspace, string UserId, string Name);

internal sealed record AppleRegistrationRequest(long? BuildId);

/// <summary>
/// What Apple answered for one device: <c>outcome</c> is registered, alreadyRegistered, invalidUdid, limitReached,
/// notAllowed or failed; <c>detail</c> Apple's own words; <c>message</c> the sentence chat shows.
/// </summary>
internal sealed record AppleRegistrationResponse(long DeviceId, string Udid, string Name, string Owner, string Outcome, string? Detail, string Message);

/// <summary>Every device's answer, and in <c>next</c> what to do now that devices are in Apple's list (null when none is).</summary>
internal sealed record AppleRegistrationsResponse(AppleRegistrationResponse[] Devices, string? Next);

internal sealed record DeviceResponse(
    long Id, string Udid, string Name, string Model, string? Product, string? Version, string? Serial, DeviceOwnerResponse Owner, DateTime RegisteredAt);

/// <summary>
/// Device registration: the /d/{token} page, the profile-service profile, the device's signed post, the done page,
/// and the release managers' list at /api/v1/devices. The token in the path is the only credential: iOS posts
/// without cookies.
/// </summary>
internal static partial class DeviceEndpoints
{
    public const string ProfileFileName = "register-device.mobileconfig";

    public static WebApplicationBuilder AddDevices(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DeviceOptions>().BindConfiguration(DeviceOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DeviceOptions>, DeviceOptionsValidator>();
        builder.Services.AddSingleton<DeviceCertificates>();
        builder.Services.AddSingleton<DeviceUrls>();
        builder.Services.AddScoped<DeviceRegistry>();
        builder.Services.AddScoped<DeviceRequests>();
        builder.Services.AddOptions<AppStoreConnectOptions>().BindConfiguration(AppStoreConnectOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AppStoreConnectOptions>, AppStoreConnectOptionsValidator>();
        // The API token must never follow a redirect to another host.
        builder.Services.AddHttpClient<AppStoreConnectClient>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        builder.Services.AddScoped<IDeviceDirectory>(services => services.GetRequiredService<DeviceRegistry>());
        return builder;
    }

    public static WebApplication MapDevices(this WebApplication app)
    {
        var pages = app.MapGroup("/d/{token}")
            .AddEndpointFilter(async (context, next) =>
            {
                var headers = context.HttpContext.Response.Headers;
                headers.CacheControl = "no-store";
                InstallEndpoints.KeepTokenPrivate(headers);
                return await next(context);
            })
            .RequirePerClientLimit(AnonymousRoute.DevicePages)
            .ExcludeFromDescription();
        pages.MapGet("", Page);
        pages.MapGet("/profile", Profile);
        pages.MapPost("/enroll", Enroll).DisableAntiforgery();
        pages.MapGet("/done", Done);

        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(ApiKeyAuthentication.ReleaseManager)
            .WithTags("Devices")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapPost("/devices/app-store-connect", RegisterWithApple)
            .WithSummary("Registers the devices a build's profile lacks in App Store Connect (ReleaseManager or Admin); then regenerate the profile and rebuild")
            .Produces<AppleRegistrationsResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status501NotImplemented);
        api.MapGet("/devices", ListDevices)
            .WithSummary("Registered devices (ReleaseManager or Admin): JSON, or with format=apple Apple's bulk upload file; missingFrom=<buildId> only those the build's profile does not include")
            .Produces<DeviceResponse[]>(StatusCodes.Status200OK)
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    internal static async Task<ContentHttpResult> Page(string token, HttpContext http, DeviceRegistry registry, DeviceUrls urls, CancellationToken cancellationToken)
    {
        var nonce = InstallEndpoints.PageSecurityPolicy(http.Response.Headers);
        var resolved = await registry.ResolveAsync(token, cancellationToken);
        if (Dead(resolved, nonce) is { } dead)
            return dead;
        return Html(DevicePage.Render(urls.Page(token), urls.Profile(token), InstallClientDetector.Detect(http.Request.Headers.UserAgent.ToString()), nonce), StatusCodes.Status200OK);
    }

    internal static async Task<IResult> Profile(string token, HttpContext http, DeviceRegistry registry, DeviceUrls urls, DeviceCertificates certificates,
        IOptions<DeviceOptions> options, CancellationToken cancellationToken)
    {
        var resolved = await registry.ResolveAsync(token, cancellationToken);
        if (resolved is null || resolved.Status != DeviceLinkStatus.Ready)
        {
            var nonce = InstallEndpoints.PageSecurityPolicy(http.Response.Headers);
            return Dead(resolved, nonce)!;
        }
        var profile = ProfileService.Create(new Uri(urls.Enroll(token)), resolved.Link.Challenge, Guid.NewGuid(), urls.ProfileIdentifier(), options.Value.Organization);
        if (certificates.Signing is { } signing)
            profile = ProfileService.Sign(profile, signing.Signer, signing.Chain);
        return TypedResults.File(profile, ProfileService.ContentType, ProfileFileName);
    }

    internal static async Task<IResult> Enroll(string token, HttpContext http, DeviceRegistry registry, DeviceUrls urls, DeviceCertificates certificates,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(DeviceEndpoints));
        var resolved = await registry.ResolveAsync(token, cancellationToken);
        if (resolved is null)
            return TypedResults.Text("Unknown registration link.", "text/plain", statusCode: StatusCodes.Status404NotFound);
        if (resolved.Status == DeviceLinkStatus.Used)
            return Refuse(logger, resolved.Link.Id, "replayed", "This link has already registered a device. Ask the bot for a new one with \"device\".");
        if (resolved.Status == DeviceLinkStatus.Expired)
            return TypedResults.Text("This registration link has expired. Ask the bot for a new one with \"device\".", "text/plain", statusCode: StatusCodes.Status410Gone);

        if (await ReadBodyAsync(http.Request, cancellationToken) is not { } body)
            return Refuse(logger, resolved.Link.Id, nameof(EnrollmentRejection.TooLarge), "The device's answer is too large.");
        EnrolledDevice reported;
        try
        {
            reported = DeviceEnrollment.Read(body, resolved.Link.Challenge, certificates.DeviceCa);
        }
        catch (DeviceEnrollmentException e)
        {
            return Refuse(logger, resolved.Link.Id, e.Reason.ToString(), "The device's answer was not accepted. Try again from the link.");
        }
        if (await registry.EnrollAsync(resolved.Link, reported, cancellationToken) == EnrollmentOutcome.Replayed)
            return Refuse(logger, resolved.Link.Id, "replayed", "This link has already registered a device. Ask the bot for a new one with \"device\".");
        // iOS expects a 301 and opens Safari at its address; the device is looked up there by the link, never named in
        // the URL. Set by hand: RedirectResult logs the address, which carries the token.
        http.Response.Headers.Location = urls.Done(token);
        return TypedResults.StatusCode(StatusCodes.Status301MovedPermanently);
    }

    internal static async Task<ContentHttpResult> Done(string token, HttpContext http, DeviceRegistry registry, CancellationToken cancellationToken)
    {
        var nonce = InstallEndpoints.PageSecurityPolicy(http.Response.Headers);
        var resolved = await registry.ResolveAsync(token, cancellationToken);
        if (resolved is null)
            return Html(DevicePage.RenderNotFound(nonce), StatusCodes.Status404NotFound);
        if (resolved.Status != DeviceLinkStatus.Used)
            return resolved.Status == DeviceLinkStatus.Expired
                ? Html(DevicePage.RenderExpired(nonce), StatusCodes.Status410Gone)
                : Html(DevicePage.RenderNotRegistered(nonce), StatusCodes.Status404NotFound);
        return await registry.RegisteredThroughAsync(resolved.Link, cancellationToken) is { } name
            ? Html(DevicePage.RenderDone(name, nonce), StatusCodes.Status200OK)
            : Html(DevicePage.RenderUsed(nonce), StatusCodes.Status410Gone);
    }

    /// <summary>Why the devices missing from a build cannot be listed (no such build, or no device list known), or null.</summary>
    private static ProblemHttpResult? DeviceListProblem(long? buildId, (bool Known, List<ChatOpsBot.Data.Device> Devices)? listed) => listed switch
    {
        null => TypedResults.Problem($"There is no build {buildId}.", statusCode: StatusCodes.Status404NotFound, title: "Unknown build"),
        { Known: false } => TypedResults.Problem($"Build {buildId} is not an ad-hoc or development build whose device list is known (builds uploaded before device registration have none).",
            statusCode: StatusCodes.Status409Conflict, title: "No device list"),
        _ => null,
    };

    internal static async Task<Results<Ok<DeviceResponse[]>, FileContentHttpResult, ProblemHttpResult>> ListDevices(
        DeviceRegistry registry, [FromQuery] string? format, [FromQuery] long? missingFrom, CancellationToken cancellationToken)
    {
        if (format is not (null or "json" or "apple"))
            return TypedResults.Problem("format must be json or apple.", statusCode: StatusCodes.Status400BadRequest, title: "Unknown format");
        var listed = await registry.ListAllAsync(missingFrom, cancellationToken);
        if (DeviceListProblem(missingFrom, listed) is { } problem)
            return problem;
        var found = listed!.Value;
        if (format == "apple")
        {
            var text = AppleDeviceList.Write(found.Devices.Select(d => new AppleDeviceEntry(d.Udid, $"{d.OwnerName} {DeviceNames.Model(d.Product)}",
                d.Product?.StartsWith("Mac", StringComparison.Ordinal) == true ? "mac" : "ios")));
            return TypedResults.File(Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8", "devices.txt");
        }
        return TypedResults.Ok(found.Devices.Select(d => new DeviceResponse(d.Id, d.Udid, d.Name, DeviceNames.Model(d.Product), d.Product, d.Version, d.Serial,
            new DeviceOwnerResponse(d.Platform, d.Workspace.Length == 0 ? null : d.Workspace, d.UserId, d.OwnerName), d.RegisteredAt)).ToArray());
    }

    internal static async Task<Results<Ok<AppleRegistrationsResponse>, ProblemHttpResult>> RegisterWithApple(
        DeviceRegistry registry, AppleRegistrationRequest? body, CancellationToken cancellationToken)
    {
        if (!registry.CanRegisterWithApple)
            return TypedResults.Problem("App Store Connect registration is not configured: set ChatOpsBot:AppStoreConnect:IssuerId, KeyId and PrivateKey.",
                statusCode: StatusCodes.Status501NotImplemented, title: "App Store Connect is not configured");
        if (body?.BuildId is not { } buildId)
            return TypedResults.Problem("The body must be {\"buildId\": <id>}: the build whose profile lacks the devices.", statusCode: StatusCodes.Status400BadRequest, title: "buildId is required");
        var listed = await registry.ListAllAsync(buildId, cancellationToken);
        if (DeviceListProblem(buildId, listed) is { } problem)
            return problem;
        var found = listed!.Value;
        var results = await registry.RegisterWithAppleAsync(found.Devices, cancellationToken);
        var registered = results.Any(r => r.Outcome is AppleRegistrationOutcome.Registered or AppleRegistrationOutcome.AlreadyRegistered);
        return TypedResults.Ok(new AppleRegistrationsResponse(
            [.. results.Select(r => new AppleRegistrationResponse(r.Device.Id, r.Device.Udid, r.Device.Name, r.Device.OwnerName,
                JsonNamingPolicy.CamelCase.ConvertName(r.Outcome.ToString()), r.Detail, r.Sentence))],
            registered ? ChatEngine.RegenerateProfile : null));
    }

    /// <summary>The body when it is at most <see cref="DeviceEnrollment.MaxBodyBytes"/>; null when it is larger.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > DeviceEnrollment.MaxBodyBytes)
            return null;
        var buffer = new byte[DeviceEnrollment.MaxBodyBytes + 1];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
            filled += read;
        return filled > DeviceEnrollment.MaxBodyBytes ? null : buffer[..filled];
    }

    private static ContentHttpResult? Dead(ResolvedDeviceLink? resolved, string nonce) => resolved switch
    {
        null => Html(DevicePage.RenderNotFound(nonce), StatusCodes.Status404NotFound),
        { Status: DeviceLinkStatus.Expired } => Html(DevicePage.RenderExpired(nonce), StatusCodes.Status410Gone),
        { Status: DeviceLinkStatus.Used } => Html(DevicePage.RenderUsed(nonce), StatusCodes.Status410Gone),
        _ => null,
    };

    private static ContentHttpResult Refuse(ILogger logger, long linkId, string reason, string text)
    {
        LogEnrollmentRefused(logger, linkId, reason);
        return TypedResults.Text(text, "text/plain", statusCode: StatusCodes.Status400BadRequest);
    }

    private static ContentHttpResult Html(string html, int status) => TypedResults.Content(html, "text/html; charset=utf-8", statusCode: status);

    [LoggerMessage(EventId = 6910, Level = LogLevel.Warning, Message = "A device's answer through device link {LinkId} was refused: {Reason}")]
    private static partial void LogEnrollmentRefused(ILogger logger, long linkId, string reason);
}
