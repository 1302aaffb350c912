using System.Globalization;
using ChatOpsBot.Core.Builds;

namespace ChatOpsBot.Features.Web;

/// <summary>What a console page says instead of its content when the request could not be served: a title and a sentence.</summary>
internal sealed record ConsoleProblem(string Title, string Detail)
{
    public static ConsoleProblem NotForYourRole(string what) =>
        new("Not for your role", $"{what} needs a release manager or an administrator. Nothing was changed.");

    public static ConsoleProblem UnknownBuild(string id) =>
        new("No such build", $"There is no build '{id}'. It may have been mistyped; the apps page lists every build.");
}

internal enum ExpiryLevel
{
    None,
    Ok,
    Soon,
    Expired,
}

/// <summary>How the console shows times and a provisioning profile's end: under 14 days is a warning, past it nothing installs.</summary>
internal static class ConsoleFormat
{
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    public static ExpiryLevel ExpiryAt(DateTime? expiresAt, DateTime now) => expiresAt switch
    {
        null => ExpiryLevel.None,
        { } end when now >= end => ExpiryLevel.Expired,
        { } end when end - now < ExpiryWarning => ExpiryLevel.Soon,
        _ => ExpiryLevel.Ok,
    };

    /// <summary>"expires 2027-01-15 (in 13 days)" and the class of its badge.</summary>
    public static (string Text, string Class) Expiry(DateTime? expiresAt, DateTime now)
    {
        if (expiresAt is not { } end)
            return ("no expiry in the profile", "muted");
        var days = (int)Math.Floor((end - now).TotalDays);
        return ExpiryAt(end, now) switch
        {
            ExpiryLevel.Expired => ($"expired {Date(end)}", "bad"),
            ExpiryLevel.Soon => ($"expires {Date(end)} (in {(days <= 0 ? "less than a day" : days == 1 ? "1 day" : $"{days} days")})", "warn"),
            _ => ($"expires {Date(end)}", "ok"),
        };
    }

    public static string Date(DateTime at) => at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Time(DateTime at) => at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Time(DateTime? at) => at is { } value ? Time(value) : "—";

    public static string Profile(ProvisioningProfileType? type) => type switch
    {
        ProvisioningProfileType.Development => "Development",
        ProvisioningProfileType.AdHoc => "Ad Hoc",
        ProvisioningProfileType.Enterprise => "Enterprise (in-house)",
        ProvisioningProfileType.AppStore => "App Store",
        ProvisioningProfileType.Unknown => "Unknown profile",
        _ => "No profile",
    };

    /// <summary>Enterprise profiles install on any device; the others on the devices they list.</summary>
    public static string Devices(ProvisioningProfileType? type, int? count) =>
        type == ProvisioningProfileType.Enterprise ? "any device"
        : count is { } n ? (n == 1 ? "1 device" : string.Create(CultureInfo.InvariantCulture, $"{n} devices"))
        : "—";

    public static string Size(long bytes) => bytes switch
    {
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
    };
}
