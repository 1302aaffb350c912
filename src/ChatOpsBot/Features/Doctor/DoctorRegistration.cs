using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChatOpsBot.Features.Doctor;

internal static class DoctorRegistration
{
    public static WebApplicationBuilder AddDoctor(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(new DoctorNetwork());
        builder.Services.AddSingleton<PublicBaseUrlChecks>();
        builder.Services.AddScoped<InstallProbe>();
        builder.Services.AddScoped<StorageChecks>();
        builder.Services.AddScoped<JobServerCheck>();
        builder.Services.AddScoped<Doctor>();
        return builder;
    }
}
