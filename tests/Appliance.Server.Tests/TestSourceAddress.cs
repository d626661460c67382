using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Appliance.Server.Tests;

/// <summary>
/// Lets a test choose the client address the server sees (the in-process client has none): a request with
/// <see cref="Header"/> comes from that address. Register with <c>services.AddSingleton&lt;IStartupFilter, TestSourceAddress&gt;()</c>.
/// </summary>
public sealed class TestSourceAddress : IStartupFilter
{
    public const string Header = "X-Test-Source-Address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((http, then) =>
        {
            if (http.Request.Headers[Header].ToString() is { Length: > 0 } text)
            {
                http.Connection.RemoteIpAddress = IPAddress.Parse(text);
            }
            return then(http);
        });
        next(app);
    };
}
