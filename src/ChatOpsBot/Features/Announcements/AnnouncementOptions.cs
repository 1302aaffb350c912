using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Announcements;

/// <summary>
/// How deliveries recover from a replica that died: <c>ChatOpsBot:Announcements</c>. A delivery being posted is
/// claimed for <see cref="ClaimTimeout"/>; a replica killed mid-post leaves the claim, and another replica's sweep
/// takes the delivery over once it lapses. The sweep looks every <see cref="SweepInterval"/>, and also steps in for a
/// pending delivery whose own job is that late.
/// </summary>
internal sealed class AnnouncementOptions
{
    public const string Section = "ChatOpsBot:Announcements";

    public static readonly TimeSpan DefaultClaimTimeout = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan DefaultSweepInterval = TimeSpan.FromMinutes(1);

    public TimeSpan ClaimTimeout { get; set; } = DefaultClaimTimeout;

    public TimeSpan SweepInterval { get; set; } = DefaultSweepInterval;

    /// <summary>
    /// How long one post may take: two fifths of the claim, so a live post always ends (and is recorded) while its
    /// claim still stands, and no other replica posts the same delivery meanwhile.
    /// </summary>
    public TimeSpan PostTimeout => ClaimTimeout * 2 / 5;
}

internal sealed class AnnouncementOptionsValidator : IValidateOptions<AnnouncementOptions>
{
    public ValidateOptionsResult Validate(string? name, AnnouncementOptions options)
    {
        var failures = new List<string>();
        if (options.ClaimTimeout < TimeSpan.FromSeconds(5))
            failures.Add($"{AnnouncementOptions.Section}:ClaimTimeout must be at least 00:00:05.");
        if (options.SweepInterval <= TimeSpan.Zero)
            failures.Add($"{AnnouncementOptions.Section}:SweepInterval must be positive.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
