using System.Diagnostics;

namespace Appliance.TestSupport;

/// <summary>
/// The one wait-until of the test suite: polls an observable outcome until it holds, and fails with what was awaited
/// when a deadline passes. Use it instead of a fixed sleep: the test goes on as soon as the outcome is there, and a
/// loaded machine only makes it slower, not flaky.
/// </summary>
public static class Wait
{
    /// <summary>How long an outcome may take by default: generous, because five builds may share two cores.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How often the condition is polled by default.</summary>
    public static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds; fails with <paramref name="what"/> (and <paramref name="detail"/>, if given) after <paramref name="timeout"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null, TimeSpan? poll = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout, detail, poll);

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, running <paramref name="step"/> between polls: for code that waits
    /// on a fake clock, the step moves that clock (the code may arm its timer before or after any given step).
    /// </summary>
    public static Task UntilAsync(Func<bool> condition, string what, Action step, TimeSpan? timeout = null, Func<string>? detail = null) =>
        ForAsync(() =>
        {
            if (condition())
            {
                return Task.FromResult(true);
            }
            step();
            return Task.FromResult(false);
        }, static done => done, what, timeout, detail);

    /// <summary>Waits until the asynchronous <paramref name="condition"/> holds (an API read, a DNS query); fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? detail = null, TimeSpan? poll = null)
    {
        await ForAsync(condition, static done => done, what, timeout, detail, poll).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads <paramref name="probe"/> until <paramref name="done"/> accepts its value and returns that value, so the
    /// test can assert on what it waited for; fails with <paramref name="what"/> and the last value after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<T> ForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null, Func<string>? detail = null, TimeSpan? poll = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe().ConfigureAwait(false);
            if (done(value))
            {
                return value;
            }
            if (watch.Elapsed > limit)
            {
                Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for {what} (last value: {value})"
                    + (detail is null ? "" : "\n" + detail()));
            }
            await Task.Delay(poll ?? DefaultPoll).ConfigureAwait(false);
        }
    }

    /// <summary>Synchronous <see cref="ForAsync{T}"/>: reads <paramref name="probe"/> until <paramref name="done"/> accepts its value.</summary>
    public static Task<T> ForAsync<T>(Func<T> probe, Func<T, bool> done, string what, TimeSpan? timeout = null, Func<string>? detail = null, TimeSpan? poll = null) =>
        ForAsync(() => Task.FromResult(probe()), done, what, timeout, detail, poll);
}
