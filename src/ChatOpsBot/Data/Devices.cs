namespace ChatOpsBot.Data;

/// <summary>
/// An iPhone or iPad a person registered through the profile service. The UDID and serial are personal data: shown
/// only to the owner and release managers, never logged, deleted by "forget device".
/// </summary>
internal sealed class Device
{
    public long Id { get; set; }

    /// <summary>slack or teams.</summary>
    public required string Platform { get; set; }

    /// <summary>Slack team id or Teams tenant id; empty when the platform named none.</summary>
    public required string Workspace { get; set; }

    public required string UserId { get; set; }

    /// <summary>The owner's display name when the device reported, for release managers' lists.</summary>
    public required string OwnerName { get; set; }

    /// <summary>As the device reported it, for display and for Apple.</summary>
    public required string Udid { get; set; }

    /// <summary><see cref="Core.Devices.Udid.Normalize"/>: upper case without hyphens, what comparisons use.</summary>
    public required string UdidNormalized { get; set; }

    public string? Product { get; set; }

    public string? Version { get; set; }

    public string? Serial { get; set; }

    /// <summary>Readable, such as "iPhone 15 Pro (iOS 18.1)".</summary>
    public required string Name { get; set; }

    public DateTime RegisteredAt { get; set; }
}

/// <summary>A personal /d/{token} link: only the token's SHA-256 is stored; single use once a device has reported.</summary>
internal sealed class DeviceLink
{
    public long Id { get; set; }

    public required byte[] TokenHash { get; set; }

    /// <summary>The profile's Challenge, which the device must echo back.</summary>
    public required string Challenge { get; set; }

    public required string Platform { get; set; }

    public required string Workspace { get; set; }

    public required string UserId { get; set; }

    public required string UserName { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    /// <summary>When a device reported through the link; set once, atomically.</summary>
    public DateTime? UsedAt { get; set; }

    /// <summary>The device the link registered, for the done page; cleared when the device is forgotten.</summary>
    public long? DeviceId { get; set; }
}

/// <summary>One UDID (normalised) of a build's ad-hoc or development profile, so "can this person install it" is a query.</summary>
internal sealed class BuildDevice
{
    public long BuildId { get; set; }

    public Build Build { get; set; } = null!;

    public required string Udid { get; set; }
}

/// <summary>A person was told once that "device" registers their iPhone; they are not told again.</summary>
internal sealed class DeviceHint
{
    public required string Platform { get; set; }

    public required string Workspace { get; set; }

    public required string UserId { get; set; }

    public DateTime OfferedAt { get; set; }
}

/// <summary>
/// "Ask to add my device": a person waits for a build of an app whose profile includes one of their devices. One row
/// per person and app; no UDID here (the notification reads the person's devices when it is sent).
/// </summary>
internal sealed class DeviceRequest
{
    public long Id { get; set; }

    public required string Platform { get; set; }

    public required string Workspace { get; set; }

    public required string UserId { get; set; }

    public required string UserName { get; set; }

    /// <summary>Teams: the service URL the button was pressed through, to message the person (and release managers) later.</summary>
    public string? ServiceUrl { get; set; }

    public long AppId { get; set; }

    /// <summary>The build whose profile lacked the person's devices.</summary>
    public long BuildId { get; set; }

    public DateTime RequestedAt { get; set; }

    /// <summary>When the release managers' notification was claimed for sending; set once, atomically.</summary>
    public DateTime? NotifiedAt { get; set; }

    /// <summary>When a build whose profile includes one of the person's devices was uploaded and the person told; set once.</summary>
    public DateTime? FulfilledAt { get; set; }

    public long? FulfilledBuildId { get; set; }
}
