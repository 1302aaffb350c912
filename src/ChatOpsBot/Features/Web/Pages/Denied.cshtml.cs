using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages;

internal sealed class DeniedModel : PageModel
{
}
