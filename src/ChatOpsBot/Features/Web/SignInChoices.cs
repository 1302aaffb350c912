using Microsoft.Extensions.Options;

namespace ChatOpsBot.Features.Web;

/// <summary>The ways to sign in that this host offers: each provider only when configured, and an Admin API key.</summary>
internal sealed class SignInChoices(IOptions<WebOptions> options)
{
    public bool Slack => options.Value.Slack.Configured;

    public bool Microsoft => options.Value.Microsoft.Configured;
}
