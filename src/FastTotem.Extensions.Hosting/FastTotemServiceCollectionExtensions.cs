using FastTotem;
using FastTotem.Extensions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers FastTotem with a generic host.</summary>
public static class FastTotemServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="TotemNode"/> (a singleton, injectable), <see cref="FastTotemGroups"/>, and a hosted service
    /// that starts the node with the host, waits for its first synchronisation, joins <see cref="FastTotemOptions.Groups"/>,
    /// and on stop leaves them and the ring. The node logs through the host's <see cref="ILoggerFactory"/>.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options in code.</param>
    public static IServiceCollection AddFastTotem(this IServiceCollection services, Action<FastTotemOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        return AddCore(services);
    }

    /// <summary>
    /// As <see cref="AddFastTotem(IServiceCollection, Action{FastTotemOptions})"/>, with the options bound from a
    /// configuration section (keys named as <see cref="FastTotemOptions"/>' properties, e.g.
    /// <c>FastTotem:ConfigFile</c> or <c>FastTotem:NodeId</c> and <c>FastTotem:Members:0:Address</c>), then
    /// <paramref name="configure"/> if given.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="section">The configuration section holding the options.</param>
    /// <param name="configure">Changes applied after binding, or null.</param>
    public static IServiceCollection AddFastTotem(this IServiceCollection services, IConfiguration section, Action<FastTotemOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        services.Configure<FastTotemOptions>(section);
        if (configure != null)
        {
            services.Configure(configure);
        }

        return AddCore(services);
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        services.AddSingleton(provider => provider.GetRequiredService<IOptions<FastTotemOptions>>().Value.CreateNode(provider.GetService<ILoggerFactory>()));
        services.AddSingleton<FastTotemGroups>();
        services.AddHostedService<FastTotemHostedService>();
        return services;
    }
}
