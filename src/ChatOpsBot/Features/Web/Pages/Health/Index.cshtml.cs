using ChatOpsBot.Core.Doctor;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ChatOpsBot.Features.Web.Pages.Health;

/// <summary>The <c>doctor</c> findings, grouped by verdict, each with its sentence on what to fix; run on opening and on "Run again".</summary>
[Authorize(Policy = ConsoleAuthentication.Admin)]
internal sealed class HealthModel(Features.Doctor.Doctor doctor, HealthPageRuns runs) : PageModel
{
    public IReadOnlyList<DoctorFinding> Findings { get; private set; } = [];

    public IEnumerable<DoctorFinding> Of(DoctorVerdict verdict) => Findings.Where(f => f.Verdict == verdict);

    public Task OnGetAsync(CancellationToken cancellationToken) => RunAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        await RunAsync(cancellationToken);
        return Page();
    }

    private async Task RunAsync(CancellationToken cancellationToken) =>
        Findings = await runs.RunAsync(doctor, ConsoleIdentity.From(User)?.Id ?? "unknown", cancellationToken);
}
