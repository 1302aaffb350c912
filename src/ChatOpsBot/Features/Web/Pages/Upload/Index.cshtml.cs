using ChatOpsBot.Data;
using ChatOpsBot.Features.Announcements;
using ChatOpsBot.Features.Builds;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Web.Pages.Upload;

/// <summary>
/// Uploads a build through <see cref="BuildIngest"/>, as the API does, streaming the body. Razor Pages' own antiforgery
/// check would read (and buffer) the whole form first, so this page checks the token itself: from the header a script
/// sends, or from the form field that comes before the file, before any byte of the file is read.
/// </summary>
// Order above the 1000 of the check Razor Pages adds to every page, so this one is the effective policy.
[IgnoreAntiforgeryToken(Order = 1001)]
internal sealed class UploadModel(
    BuildIngest ingest,
    Announcer announcer,
    IAntiforgery antiforgery,
    IOptions<AntiforgeryOptions> antiforgeryOptions,
    IOptions<ChatOpsBotOptions> options,
    Telemetry.ChatOpsBotMetrics metrics,
    ChatOpsBotDb db) : PageModel
{
    public ConsoleProblem? Problem { get; private set; }

    /// <summary>Refused before the form was even shown or read: the page shows only the problem.</summary>
    public bool Refused { get; private set; }

    public IReadOnlyList<string> Apps { get; private set; } = [];

    public string TokenHeader => antiforgeryOptions.Value.HeaderName ?? "RequestVerificationToken";

    public long MaxBytes => options.Value.Uploads.MaxBytes;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (ConsoleIdentity.From(User) is not { } person || !person.IsAtLeast(ConsoleRole.ReleaseManager))
            return Refuse();
        await LoadAppsAsync(cancellationToken);
        return Page();
    }

    /// <summary>Takes no parameters: binding any would make Razor Pages read (and buffer) the whole form first.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        var cancellationToken = HttpContext.RequestAborted;
        if (ConsoleIdentity.From(User) is not { } person || !person.IsAtLeast(ConsoleRole.ReleaseManager))
            return Refuse();
        var maxBytes = options.Value.Uploads.MaxBytes;
        // As the API: room for the multipart framing around the file, which is counted exactly while it streams.
        if (HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes > long.MaxValue - 1024 * 1024 ? null : maxBytes + 1024 * 1024;

        UploadGate? gate = null;
        if (Request.Headers.ContainsKey(TokenHeader))
        {
            // With a header, the check reads no form.
            if (!await antiforgery.IsRequestValidAsync(HttpContext))
                return await ProblemAsync(AntiforgeryRefused(), cancellationToken);
        }
        else
        {
            gate = new UploadGate(antiforgeryOptions.Value.FormFieldName, async token =>
            {
                if (string.IsNullOrEmpty(token))
                    return AntiforgeryRefused();
                // The field's value checked as if a script had sent it in the header, so the form is never read.
                Request.Headers[TokenHeader] = token;
                return await antiforgery.IsRequestValidAsync(HttpContext) ? null : AntiforgeryRefused();
            });
        }

        var uploadedBy = $"{person.Name} ({person.Platform})";
        var outcome = await ingest.IngestAsync(Request, uploadedBy, maxBytes, mayAnnounce: true, cancellationToken, gate);
        if (outcome.Build is not { } build)
            return await ProblemAsync(outcome, cancellationToken);
        metrics.BuildUploaded("ios");
        var location = $"{Request.PathBase}/builds/{build.Id}";
        if (outcome.Announce)
        {
            // The build is stored: announce it even if the browser goes away now.
            var announced = await announcer.AnnounceAsync(build.Id, uploadedBy, CancellationToken.None);
            if (announced.Announcement is { } announcement)
                location += $"?announced={announcement.Id}";
        }
        if (WantsJson)
            return new JsonResult(new { location }) { StatusCode = StatusCodes.Status201Created };
        return new RedirectResult(location, permanent: false, preserveMethod: false);
    }

    private bool WantsJson => Request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase);

    private static IngestOutcome AntiforgeryRefused() =>
        IngestOutcome.Problem(StatusCodes.Status400BadRequest, "The form has expired",
            "The upload form's security token is missing or out of date. Reload the upload page and send the file again; nothing was stored.");

    private async Task<IActionResult> ProblemAsync(IngestOutcome outcome, CancellationToken cancellationToken)
    {
        if (WantsJson)
            return new JsonResult(new { title = outcome.Title, detail = outcome.Detail, status = outcome.Status }) { StatusCode = outcome.Status };
        Problem = new ConsoleProblem(outcome.Title ?? "Upload refused", outcome.Detail ?? "The upload was refused; nothing was stored.");
        Response.StatusCode = outcome.Status;
        await LoadAppsAsync(cancellationToken);
        return Page();
    }

    private PageResult Refuse()
    {
        Refused = true;
        Problem = ConsoleProblem.NotForYourRole("Uploading a build");
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Page();
    }

    private async Task LoadAppsAsync(CancellationToken cancellationToken) =>
        Apps = await db.Apps.AsNoTracking().OrderBy(a => a.Slug).Select(a => a.Slug).ToListAsync(cancellationToken);
}
