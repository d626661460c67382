namespace Appliance.Hardware.Display;

/// <summary>What the status button drives: a short press shows the next page.</summary>
public interface IStatusPages
{
    /// <summary>Shows the next page (wrapping after the last); returns at once, the display redraws soon after.</summary>
    void NextPage();
}
