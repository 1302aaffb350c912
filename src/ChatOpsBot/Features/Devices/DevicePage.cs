using System.Text;
using ChatOpsBot.Features.Install;

namespace ChatOpsBot.Features.Devices;

/// <summary>
/// The /d/{token} pages, in the install page's shell (its style, script, CSP nonce and client detection). Every value
/// from a person or a device is HTML-encoded.
/// </summary>
internal static class DevicePage
{
    public static string Render(string pageUrl, string profileUrl, InstallClient client, string nonce)
    {
        var page = new StringBuilder(8_000);
        var url = InstallPage.E(pageUrl);
        Header(page, "＋", "Register this iPhone or iPad");
        page.Append("<section id=\"about\"><p>Adding this device tells the release managers its identifier (UDID), model and iOS version, ")
            .Append("so test builds can include it and the bot can tell you before installing whether a build will install. ")
            .Append("iOS sends them once through a temporary profile, and nothing stays installed.</p></section>");

        page.Append("<section class=\"v v-inapp\" id=\"safari\"><h2>Open this page in Safari</h2>")
            .Append("<p class=\"when-fallback\" id=\"fallback-note\"><strong>Nothing happened?</strong> You are probably in an app’s built-in browser.</p>")
            .Append("<p>Slack, Teams and other apps open links in their own browser, which cannot install the profile. Safari can.</p><ol>")
            .Append("<li>Tap <b>•••</b> or the share button and choose <b>Open in Safari</b> (in Teams: <b>Open in browser</b>).</li>")
            .Append("<li>In Safari, tap <b>Add this device</b>.</li></ol>")
            .Append("<p>If the button doesn't work, open Safari and paste this address:</p>");
        InstallPage.LinkBox(page, url, "safari");
        page.Append("</section>");

        page.Append("<section class=\"v v-ios\" id=\"ios\">")
            .Append("<a class=\"button\" id=\"install\" href=\"").Append(InstallPage.E(profileUrl)).Append("\">Add this device</a>")
            .Append("<h2>After you tap Add this device</h2><ol id=\"steps\">")
            .Append("<li>iOS says <b>Profile Downloaded</b>: tap <b>Close</b>.</li>")
            .Append("<li>Open <b>Settings</b> and tap <b>Profile Downloaded</b> near the top (or <b>General › VPN &amp; Device Management</b>).</li>")
            .Append("<li>Tap <b>Install</b>, enter your passcode, and tap <b>Install</b> again.</li>")
            .Append("<li>Safari opens again and says the device is registered.</li></ol>")
            .Append("<p class=\"fine\">Do it within 8 minutes: iOS deletes a downloaded profile that is not installed. ")
            .Append("If Settings says the profile is <b>Not Signed</b>, that is expected when the server has no signing certificate; it still works.</p>")
            .Append("<p class=\"hint fine\"><a href=\"#safari\">Nothing happened when you tapped the button?</a></p></section>");

        page.Append("<section class=\"v v-desktop\" id=\"desktop\"><h2>Open this page on the iPhone or iPad</h2>")
            .Append("<p>Registration works from the device itself. Send yourself this address and open it in Safari on the iPhone or iPad:</p>");
        InstallPage.LinkBox(page, url, "desktop");
        page.Append("</section>");

        page.Append("<section class=\"v v-android\" id=\"other-device\"><h2>This is for iPhone and iPad</h2>")
            .Append("<p>Only an iPhone or iPad can be registered this way. Open this address there, in Safari:</p>");
        InstallPage.LinkBox(page, url, "other");
        page.Append("</section>");
        return InstallPage.Shell("Register this device", nonce, $" data-client=\"{InstallPage.ClientName(client)}\" data-state=\"ready\"", page);
    }

    public static string RenderDone(string deviceName, string nonce)
    {
        var page = new StringBuilder(3_000);
        Header(page, "✓", "Device registered");
        page.Append("<section id=\"done\"><p>Your <b id=\"device-name\">").Append(InstallPage.E(deviceName)).Append("</b> is registered. ")
            .Append("Back in chat, \"devices\" lists it, and the bot tells you before installing whether a build includes it.</p>")
            .Append("<p>Nothing stays installed. If Settings still lists the temporary profile under <b>General › VPN &amp; Device Management</b>, tap it and tap <b>Remove</b>.</p>")
            .Append("<p class=\"fine\">A build includes a new device only after a release manager adds it to the profile and rebuilds.</p></section>");
        return InstallPage.Shell("Device registered", nonce, " data-client=\"none\" data-state=\"done\"", page);
    }

    public static string RenderNotFound(string nonce) => Dead(nonce, "not-found", "?", "Link not found",
        "This registration link does not exist. The address may be incomplete: links are long, and some apps cut them when they are copied.");

    public static string RenderExpired(string nonce) => Dead(nonce, "expired", "×", "This link has expired",
        "Registration links work for a limited time, and this one has expired.");

    public static string RenderUsed(string nonce) => Dead(nonce, "used", "×", "This link has been used",
        "A device has already been registered with this link, and each link works once.");

    public static string RenderNotRegistered(string nonce) => Dead(nonce, "not-registered", "…", "No device registered yet",
        "No device has reported through this link. If iOS said the installation failed, try again from the link.");

    private static string Dead(string nonce, string state, string mark, string title, string reason)
    {
        var page = new StringBuilder(2_000);
        Header(page, mark, title);
        page.Append("<section class=\"reason\" id=\"reason\"><p>").Append(reason).Append("</p>")
            .Append("<p>For a new link, send <code>device</code> to the bot in Slack or Teams.</p></section>");
        return InstallPage.Shell(title, nonce, $" data-client=\"none\" data-state=\"{state}\"", page);
    }

    private static void Header(StringBuilder page, string mark, string title) =>
        page.Append("<header class=\"app\"><div class=\"icon placeholder\" aria-hidden=\"true\">").Append(mark).Append("</div><div><h1>")
            .Append(title).Append("</h1></div></header>");
}
