using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ChatOpsBot.Core.Builds;
using ChatOpsBot.Core.Builds.Android;
using ChatOpsBot.Data;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;

namespace ChatOpsBot.Features.Builds;

/// <summary>What an upload came to: a new build, or a problem that names what was wrong (and nothing stored).</summary>
internal sealed record IngestOutcome(Build? Build, string? AppSlug, int Status, string? Title, string? Detail, IDictionary<string, object?>? Extensions = null)
{
    /// <summary>The upload asked (with announce=true) for the new build to be announced.</summary>
    public bool Announce { get; init; }

    public static IngestOutcome Created(Build build, string slug) => new(build, slug, StatusCodes.Status201Created, null, null);

    public static IngestOutcome Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        new(null, null, status, title, detail, extensions);
}

/// <summary>
/// A check run once before any byte of the file is read, with the value of <see cref="Field"/> from the parts that
/// came before the file (null when there was none): the console's form carries its antiforgery token that way. A
/// problem it returns ends the upload with nothing stored.
/// </summary>
internal sealed record UploadGate(string Field, Func<string?, Task<IngestOutcome?>> CheckAsync);

/// <summary>
/// Streams a multipart upload to a temporary file while hashing it, inspects the IPA or APK, then stores the artifact and
/// the registry rows. Any failure leaves no row and no file behind.
/// </summary>
internal sealed partial class BuildIngest(
    ChatOpsBotDb db,
    FileSystemArtifactStore spool,
    IArtifactStore artifacts,
    ArtifactLocks locks,
    ArtifactCollector collector,
    TimeProvider time,
    Hangfire.IBackgroundJobClient jobs,
    ILogger<BuildIngest> logger)
{
    private const int MaxNotesLength = 10_000;
    private const int MaxRegistrationAttempts = 3;
    private const int MaxFieldBytes = 64 * 1024;

    // A section's ReadAsync returns at most what the reader has buffered (4 KB by default), and every file write is a
    // thread-pool hop on Linux: read in 64 KB steps, hash and write in 1 MB blocks.
    private const int ReaderBufferSize = 64 * 1024;
    private const int SpoolBlockSize = 1024 * 1024;

    public async Task<IngestOutcome> IngestAsync(HttpRequest request, string uploadedBy, long maxBytes, bool mayAnnounce, CancellationToken cancellationToken, UploadGate? gate = null)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return IngestOutcome.Problem(StatusCodes.Status415UnsupportedMediaType, "Expected multipart/form-data",
                "Send the build as multipart/form-data with a 'file' part holding the .ipa or .apk and a 'channel' field.");
        }

        string? temporaryPath = null;
        try
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            string? sha256 = null;
            long size = 0;
            var reader = new MultipartReader(boundary, request.Body, ReaderBufferSize) { BodyLengthLimit = null };
            var gatePassed = false;
            async Task<IngestOutcome?> PassGateAsync()
            {
                if (gatePassed)
                    return null;
                gatePassed = true;
                return await gate!.CheckAsync(fields.GetValueOrDefault(gate.Field));
            }

            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    continue;
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (name == "file")
                {
                    if (gate is not null && await PassGateAsync() is { } refused)
                        return refused;
                    if (temporaryPath is not null)
                        return IngestOutcome.Problem(400, "More than one file", "Send exactly one 'file' part per upload.");
                    // Spooled locally whichever store keeps it: the hash names it, and it is inspected before it is stored.
                    var file = spool.CreateTemporaryFile();
                    temporaryPath = file.Name;
                    (string Sha256, long Size, bool TooLarge) spooled;
                    await using (file)
                        spooled = await SpoolAsync(section.Body, file, maxBytes, cancellationToken);
                    if (spooled.TooLarge)
                        return IngestOutcome.Problem(StatusCodes.Status413PayloadTooLarge, "Upload too large",
                            string.Create(CultureInfo.InvariantCulture, $"The file is larger than the limit of {maxBytes} bytes (ChatOpsBot:Uploads:MaxBytes)."));
                    (sha256, size) = (spooled.Sha256, spooled.Size);
                }
                else if (name is "channel" or "app" or "notes" or "announce" || name == gate?.Field)
                {
                    var value = await ReadFieldAsync(section.Body, cancellationToken);
                    if (value is null)
                        return IngestOutcome.Problem(400, "Field too long", $"The '{name}' field is longer than {MaxFieldBytes} bytes.");
                    fields[name] = value;
                }
                else
                {
                    await section.Body.DrainAsync(cancellationToken);
                }
            }

            if (gate is not null && await PassGateAsync() is { } refusedWithoutFile)
                return refusedWithoutFile;
            if (temporaryPath is null || sha256 is null)
                return IngestOutcome.Problem(400, "Missing file", "The upload has no 'file' part holding the .ipa or .apk.");
            if (size == 0)
                return IngestOutcome.Problem(422, "Empty file", "The uploaded file is empty; expected an .ipa or an .apk.");
            if (fields.GetValueOrDefault("channel") is not { } channel || !ChannelName().IsMatch(channel))
                return IngestOutcome.Problem(400, "Invalid channel",
                    "The 'channel' field is required: 1 to 32 characters of a-z, 0-9 and '-' (for example 'beta').");
            var requestedSlug = fields.GetValueOrDefault("app");
            if (requestedSlug is { Length: > 0 } && !AppSlug().IsMatch(requestedSlug))
                return IngestOutcome.Problem(400, "Invalid app name",
                    "The 'app' field must be 1 to 40 characters of a-z, 0-9 and '-' (for example 'myapp').");
            var notes = fields.GetValueOrDefault("notes");
            if (notes is { Length: > MaxNotesLength })
                return IngestOutcome.Problem(400, "Notes too long", $"Release notes are limited to {MaxNotesLength} characters.");
            var announce = false;
            if (fields.GetValueOrDefault("announce") is { } announceField && !bool.TryParse(announceField, out announce))
                return IngestOutcome.Problem(400, "Invalid announce field", "The 'announce' field is 'true' or 'false'.");
            // Refused before anything is stored, so an uploader's key cannot leave a build behind that nobody announced.
            if (announce && !mayAnnounce)
                return IngestOutcome.Problem(StatusCodes.Status403Forbidden, "Announcing needs a release manager key",
                    "announce=true needs a ReleaseManager or Admin key; nothing was stored. Upload without it, or with a release manager's key.");

            InspectedBuild inspected;
            await using (var upload = new FileStream(temporaryPath, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous))
            {
                // The kind comes from the zip's listing, never from the file name; anything else gets the IPA reader's precise refusal.
                var kind = BuildPackageDetector.Detect(upload, cancellationToken);
                if (kind is BuildPackageKind.Apk or BuildPackageKind.AppBundle)
                {
                    var apk = ApkInspector.Inspect(upload, cancellationToken: cancellationToken);
                    if (!apk.IsAccepted)
                    {
                        var extensions = new Dictionary<string, object?> { ["reason"] = apk.Rejection.Reason.ToString() };
                        if (apk.Rejection.Offset is { } offset)
                            extensions["offset"] = offset;
                        if (apk.Rejection.Entry is { } entry)
                            extensions["entry"] = entry;
                        return IngestOutcome.Problem(StatusCodes.Status422UnprocessableEntity, "The APK was refused", apk.Rejection.Message, extensions);
                    }
                    inspected = InspectedBuild.From(apk.Inspection);
                }
                else
                {
                    var result = await IpaInspector.InspectAsync(upload, cancellationToken: cancellationToken);
                    if (!result.IsAccepted)
                    {
                        var extensions = new Dictionary<string, object?> { ["reason"] = result.Rejection.Reason.ToString() };
                        if (result.Rejection.Key is { } key)
                            extensions["key"] = key;
                        return IngestOutcome.Problem(StatusCodes.Status422UnprocessableEntity, "The IPA was refused", result.Rejection.Message, extensions);
                    }
                    inspected = InspectedBuild.From(result.Inspection);
                }
            }

            var outcome = await RegisterAsync(inspected, channel, string.IsNullOrEmpty(requestedSlug) ? null : requestedSlug,
                string.IsNullOrWhiteSpace(notes) ? null : notes, sha256, size, temporaryPath, uploadedBy, cancellationToken);
            if (outcome.Build is not null)
                temporaryPath = null; // moved into the store
            return outcome with { Announce = announce && outcome.Build is not null };
        }
        catch (Exception e) when (e is IOException or BadHttpRequestException or InvalidDataException || (e is OperationCanceledException && request.HttpContext.RequestAborted.IsCancellationRequested))
        {
            LogUploadAborted(e.GetType().Name);
            return e switch
            {
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => IngestOutcome.Problem(413, "Upload too large",
                    string.Create(CultureInfo.InvariantCulture, $"The request is larger than the limit of {maxBytes} bytes (ChatOpsBot:Uploads:MaxBytes).")),
                InvalidDataException => IngestOutcome.Problem(400, "Malformed multipart body", "The multipart/form-data body is malformed: " + e.Message),
                _ => IngestOutcome.Problem(400, "Incomplete upload", "The request body ended before the multipart upload was complete."),
            };
        }
        finally
        {
            if (temporaryPath is not null)
                File.Delete(temporaryPath);
        }
    }

    private async Task<IngestOutcome> RegisterAsync(InspectedBuild ipa, string channel, string? requestedSlug, string? notes,
        string sha256, long size, string temporaryPath, string uploadedBy, CancellationToken cancellationToken)
    {
        var slug = requestedSlug ?? SlugFrom(ipa.DisplayName, ipa.Identifier);
        var iconSha256 = ipa.Icon is { } icon ? Convert.ToHexStringLower(SHA256.HashData(icon.Span)) : null;
        bool placed = false, addedIpa = false, addedIcon = false;
        IngestOutcome? outcome = null;
        try
        {
            // Held from putting the files in place until the row that uses them is committed. The collector deletes a
            // file only under the same lock and only when no active build uses it, so it cannot delete a file between
            // this upload finding it stored (or storing it) and this upload's row being committed. Identical uploads
            // queue here, so the second one finds the first one's build.
            await using (await locks.AcquireAsync([sha256, iconSha256], cancellationToken))
            {
                for (var attempt = 1; outcome is null; attempt++)
                {
                    var app = await db.Apps.SingleOrDefaultAsync(a => a.Slug == slug, cancellationToken);
                    // The identifier rule holds per platform: an app's first iOS build fixes its bundle id, its first
                    // Android build its package name, and each later build of that platform must keep it.
                    var android = ipa.Platform == BuildPlatforms.Android;
                    if (app is not null && (android ? app.AndroidPackage : app.BundleId) is { } fixedId
                        && !string.Equals(fixedId, ipa.Identifier, StringComparison.Ordinal))
                    {
                        return outcome = android
                            ? IngestOutcome.Problem(StatusCodes.Status409Conflict, "Package name mismatch",
                                $"The app '{slug}' is {fixedId} on Android, but this APK is {ipa.Identifier}. Upload it under another app name.")
                            : IngestOutcome.Problem(StatusCodes.Status409Conflict, "Bundle identifier mismatch",
                                $"The app '{slug}' is {fixedId}, but this build is {ipa.Identifier}. Upload it under another app name.");
                    }
                    // Only active builds count: a revoked build's file uploaded again is a new build (the old one stays revoked).
                    if (app is not null && await db.Builds.AsNoTracking()
                            .Where(b => b.AppId == app.Id && b.Channel == channel && b.Sha256 == sha256 && b.State == BuildState.Active)
                            .Select(b => (long?)b.Id).FirstOrDefaultAsync(cancellationToken) is { } existing)
                    {
                        return outcome = IngestOutcome.Problem(StatusCodes.Status409Conflict, "Build already uploaded",
                            string.Create(CultureInfo.InvariantCulture, $"This file is already build {existing} of '{slug}' in channel '{channel}'."),
                            new Dictionary<string, object?> { ["buildId"] = existing });
                    }

                    var build = AddRows(app, ipa, slug, channel, notes, sha256, size, iconSha256, uploadedBy);
                    // Files first, then rows: a row never points at a missing file.
                    if (!placed)
                    {
                        placed = true;
                        addedIpa = await artifacts.AddAsync(temporaryPath, sha256, cancellationToken);
                        addedIcon = iconSha256 is not null && await artifacts.AddAsync(ipa.Icon!.Value, iconSha256, cancellationToken);
                    }
                    try
                    {
                        await db.SaveChangesAsync(cancellationToken);
                        LogBuildRegistered(build.Id, slug, channel, build.Version, build.BuildNumber);
                        outcome = IngestOutcome.Created(build, slug);
                        // People waiting for one of their devices in this app's profile are told once it is in; a job
                        // only when someone waits.
                        if (ipa.ProvisionedDevices.Count > 0
                            && await db.DeviceRequests.AnyAsync(r => r.AppId == build.AppId && r.FulfilledAt == null, cancellationToken))
                            Devices.DeviceRequests.AfterUpload(jobs, build.Id);
                    }
                    catch (DbUpdateException) when (attempt < MaxRegistrationAttempts)
                    {
                        // Another upload created this app (or, across replicas, this build) first: look again.
                        db.ChangeTracker.Clear();
                        LogRegistrationRetried(slug, attempt);
                    }
                    catch (DbUpdateException)
                    {
                        LogRegistrationConflict(slug);
                        outcome = IngestOutcome.Problem(StatusCodes.Status409Conflict, "Concurrent upload",
                            "Another upload of this app changed the registry at the same time; retry the upload.");
                    }
                }
                return outcome;
            }
        }
        finally
        {
            // Files this upload put in place go again unless a build uses them, whoever's build that is.
            if (outcome?.Build is null)
            {
                if (addedIpa)
                    await collector.DeleteIfUnusedAsync(sha256, CancellationToken.None);
                if (addedIcon)
                    await collector.DeleteIfUnusedAsync(iconSha256!, CancellationToken.None);
            }
        }
    }

    private Build AddRows(App? app, InspectedBuild inspected, string slug, string channel, string? notes, string sha256, long size, string? iconSha256, string uploadedBy)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var android = inspected.Platform == BuildPlatforms.Android;
        app ??= db.Apps.Add(new App
        {
            Slug = slug,
            DisplayName = inspected.DisplayName,
            DefaultChannel = channel,
            CreatedAt = now,
        }).Entity;
        // An app that so far had builds of the other platform only takes this platform's identifier from this build.
        if (android)
            app.AndroidPackage ??= inspected.Identifier;
        else
            app.BundleId ??= inspected.Identifier;
        var build = new Build
        {
            App = app,
            Platform = inspected.Platform,
            Channel = channel,
            Version = inspected.Version,
            BuildNumber = inspected.BuildNumber,
            BundleId = inspected.Identifier,
            DisplayName = inspected.DisplayName,
            MinimumOsVersion = inspected.MinimumOsVersion,
            Sha256 = sha256,
            Size = size,
            IconSha256 = iconSha256,
            IconContentType = inspected.IconContentType,
            UploadedAt = now,
            UploadedBy = uploadedBy,
            Notes = notes,
            State = BuildState.Active,
        };
        inspected.Describe(build);
        db.Builds.Add(build);
        // Normalised, so whether a registered device can install the build is one indexed lookup.
        foreach (var udid in inspected.ProvisionedDevices)
            db.BuildDevices.Add(new BuildDevice { Build = build, Udid = udid });
        return build;
    }

    private static async Task<(string Sha256, long Size, bool TooLarge)> SpoolAsync(Stream body, FileStream file, long maxBytes, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[SpoolBlockSize];
        long size = 0;
        int filled;
        do
        {
            filled = 0;
            int read;
            while (filled < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
            {
                filled += read;
                if (size + filled > maxBytes)
                    return ("", size + filled, true);
            }
            size += filled;
            // Hashed while it streams to disk: one pass over the bytes, never the whole file in memory.
            hash.AppendData(buffer, 0, filled);
            await file.WriteAsync(buffer.AsMemory(0, filled), cancellationToken);
        }
        while (filled == buffer.Length);
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), size, false);
    }

    private static async Task<string?> ReadFieldAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxFieldBytes)
            {
                await body.DrainAsync(cancellationToken);
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).Trim();
    }

    /// <summary>"My App (Beta)" → "my-app-beta"; falls back to the bundle id's last part.</summary>
    internal static string SlugFrom(string displayName, string bundleId)
    {
        foreach (var source in new[] { displayName, bundleId[(bundleId.LastIndexOf('.') + 1)..], "app" })
        {
            var builder = new StringBuilder();
            foreach (var c in source.Normalize(NormalizationForm.FormD))
            {
                if (char.IsAsciiLetterOrDigit(c))
                    builder.Append(char.ToLowerInvariant(c));
                else if (builder.Length > 0 && builder[^1] != '-' && CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
                    builder.Append('-');
            }
            var slug = builder.ToString().Trim('-');
            if (slug.Length > 40)
                slug = slug[..40].TrimEnd('-');
            if (slug.Length > 0)
                return slug;
        }
        return "app";
    }

    [GeneratedRegex("^[a-z0-9-]{1,32}$")]
    internal static partial Regex ChannelName();

    [GeneratedRegex("^[a-z0-9-]{1,40}$")]
    internal static partial Regex AppSlug();

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Registered build {BuildId} of {App} in {Channel}: {Version} ({BuildNumber})")]
    private partial void LogBuildRegistered(long buildId, string app, string channel, string version, string buildNumber);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Upload aborted before it completed ({Error}); nothing was stored")]
    private partial void LogUploadAborted(string error);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Concurrent registry change while registering a build of {App}; nothing was stored")]
    private partial void LogRegistrationConflict(string app);

    [LoggerMessage(EventId = 5402, Level = LogLevel.Information, Message = "Registry changed while registering a build of {App} (attempt {Attempt}); looking again")]
    private partial void LogRegistrationRetried(string app, int attempt);
}
