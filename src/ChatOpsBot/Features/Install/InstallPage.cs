using System.Net;

namespace ChatOpsBot.Features.Install;

internal static class InstallPage
{
    public static string Render(InstallPageModel model, InstallClient client, string nonce)
    {
        var name = WebUtility.HtmlEncode(model.AppName);
        var install = model.State == InstallPageState.Ready
            ? $"<a id=\"install\" href=\"{WebUtility.HtmlEncode(model.ItmsServicesUrl)}\">Install</a>"
            : $"<p id=\"reason\">{WebUtility.HtmlEncode(model.State.ToString())}</p>";
        return $"<!doctype html><html><head><meta charset=\"utf-8\"><title>{name}</title></head><body data-client=\"{client}\"><h1>{name}</h1>{install}</body></html>";
    }

    public static string RenderNotFound(string nonce) =>
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Link not found</title></head><body><h1>This install link does not exist</h1></body></html>";
}
