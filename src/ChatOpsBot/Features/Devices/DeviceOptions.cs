using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Devices;

/// <summary><c>ChatOpsBot:Devices</c>: device registration through the profile service.</summary>
internal sealed class DeviceOptions
{
    public const string Section = "ChatOpsBot:Devices";

    /// <summary>A PKCS#12 file (certificate, key and intermediates) that signs the profile, so iOS shows it as verified.</summary>
    public string? SigningCertificate { get; set; }

    public string? SigningCertificatePassword { get; set; }

    /// <summary>A PEM file with Apple's "iPhone Device CA": when set, only device identities it issued may report.</summary>
    public string? AppleDeviceCa { get; set; }

    /// <summary>
    /// Where "Ask to add my device" requests go, as <c>slack:&lt;channel id&gt;</c> or <c>teams:&lt;conversation id&gt;</c>;
    /// release managers' direct messages when empty.
    /// </summary>
    public string? RequestsConversation { get; set; }

    /// <summary>The platform and conversation id of a <see cref="RequestsConversation"/> value; the platform is empty when it names none.</summary>
    public static (string Platform, string ConversationId) ParseConversation(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var platform = colon < 0 ? "" : value[..colon];
        return platform is "slack" or "teams" && value.Length > colon + 1 ? (platform, value[(colon + 1)..]) : ("", value);
    }

    /// <summary>How long a /d/{token} link works.</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Shown in Settings as the profile's organisation.</summary>
    public string Organization { get; set; } = "ChatOpsBot";
}

/// <summary>Start-up fails, naming the key, when a configured certificate cannot be read.</summary>
internal sealed class DeviceOptionsValidator : IValidateOptions<DeviceOptions>
{
    public ValidateOptionsResult Validate(string? name, DeviceOptions options)
    {
        var failures = new List<string>();
        if (options.LinkLifetime <= TimeSpan.Zero)
            failures.Add($"{DeviceOptions.Section}:LinkLifetime must be positive.");
        if (string.IsNullOrWhiteSpace(options.Organization))
            failures.Add($"{DeviceOptions.Section}:Organization must not be empty.");
        if (!string.IsNullOrEmpty(options.RequestsConversation) && DeviceOptions.ParseConversation(options.RequestsConversation).Platform.Length == 0)
            failures.Add($"{DeviceOptions.Section}:RequestsConversation must be slack:<channel id> or teams:<conversation id>.");
        if (!string.IsNullOrEmpty(options.SigningCertificate))
        {
            try
            {
                using var signing = DeviceCertificates.LoadSigning(options.SigningCertificate, options.SigningCertificatePassword);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                failures.Add($"{DeviceOptions.Section}:SigningCertificate cannot be used ({e.Message}): it must be a PKCS#12 file with the certificate's private key, and {DeviceOptions.Section}:SigningCertificatePassword its password.");
            }
        }
        else if (!string.IsNullOrEmpty(options.SigningCertificatePassword))
        {
            failures.Add($"{DeviceOptions.Section}:SigningCertificatePassword is set without {DeviceOptions.Section}:SigningCertificate.");
        }
        if (!string.IsNullOrEmpty(options.AppleDeviceCa))
        {
            try
            {
                using var ca = DeviceCertificates.LoadDeviceCa(options.AppleDeviceCa);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{DeviceOptions.Section}:AppleDeviceCa cannot be read ({e.Message}): it must be a PEM file with Apple's iPhone Device CA certificate.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>The configured certificates, read once.</summary>
internal sealed class DeviceCertificates : IDisposable
{
    private readonly Lazy<SigningIdentity?> _signing;
    private readonly Lazy<X509Certificate2?> _deviceCa;

    public DeviceCertificates(IOptions<DeviceOptions> options)
    {
        var settings = options.Value;
        _signing = new(() => string.IsNullOrEmpty(settings.SigningCertificate) ? null : LoadSigning(settings.SigningCertificate, settings.SigningCertificatePassword));
        _deviceCa = new(() => string.IsNullOrEmpty(settings.AppleDeviceCa) ? null : LoadDeviceCa(settings.AppleDeviceCa));
    }

    /// <summary>The profile's signer and the chain it carries; null when profiles go out unsigned.</summary>
    public SigningIdentity? Signing => _signing.Value;

    /// <summary>The pinned device CA, or null when any signer's signature over the content is accepted.</summary>
    public X509Certificate2? DeviceCa => _deviceCa.Value;

    public static SigningIdentity LoadSigning(string path, string? password)
    {
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password);
        var signer = all.FirstOrDefault(c => c.HasPrivateKey);
        if (signer is null)
        {
            foreach (var certificate in all)
                certificate.Dispose();
            throw new InvalidOperationException("the file holds no certificate with a private key");
        }
        var chain = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (!ReferenceEquals(certificate, signer))
                chain.Add(certificate);
        }
        return new SigningIdentity(signer, chain);
    }

    public static X509Certificate2 LoadDeviceCa(string path) => X509Certificate2.CreateFromPem(File.ReadAllText(path));

    public void Dispose()
    {
        if (_signing.IsValueCreated)
            _signing.Value?.Dispose();
        if (_deviceCa.IsValueCreated)
            _deviceCa.Value?.Dispose();
    }
}

internal sealed record SigningIdentity(X509Certificate2 Signer, X509Certificate2Collection Chain) : IDisposable
{
    public void Dispose()
    {
        Signer.Dispose();
        foreach (var certificate in Chain)
            certificate.Dispose();
    }
}
