namespace Appliance.Hardware;

/// <summary>Something that shows status pages (a small display): a short press of the button turns to the next one.</summary>
public interface IStatusPages
{
    /// <summary>Shows the next page (wrapping around after the last).</summary>
    void NextPage();
}
