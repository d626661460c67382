namespace Appliance.Hardware.Interop;

/// <summary>
/// linux/gpio.h, the GPIO character device uAPI v2 (Linux 5.10+): the sizes, offsets, flags and ioctl numbers of
/// <c>struct gpio_v2_line_request</c>, <c>struct gpio_v2_line_event</c> and <c>struct gpiochip_info</c>. Every field
/// is a fixed-size integer with explicit 64-bit alignment, so x86-64 and arm64 lay them out alike (checked with
/// gcc and aarch64-linux-gnu-gcc against the same header: request 592, event 48, chip info 68 bytes), little-endian.
/// </summary>
internal static class gpio_v2
{
    public const int GPIO_MAX_NAME_SIZE = 32;
    public const int GPIO_V2_LINES_MAX = 64;
    public const int GPIO_V2_LINE_NUM_ATTRS_MAX = 10;

    // struct gpio_v2_line_request: __u32 offsets[64]; char consumer[32]; struct gpio_v2_line_config config;
    // __u32 num_lines; __u32 event_buffer_size; __u32 padding[5]; __s32 fd.
    public const int RequestSize = 592;
    public const int RequestOffsets = 0;
    public const int RequestConsumer = 256;
    public const int RequestConfig = 288;
    public const int RequestNumLines = 560;
    public const int RequestEventBufferSize = 564;
    public const int RequestFd = 588;

    // struct gpio_v2_line_config (272 bytes): __aligned_u64 flags; __u32 num_attrs; __u32 padding[5];
    // struct gpio_v2_line_config_attribute attrs[10] (24 bytes each: id, padding, union {flags, values,
    // debounce_period_us}, then __aligned_u64 mask).
    public const int ConfigFlags = 0;
    public const int ConfigNumAttrs = 8;
    public const int ConfigAttrs = 32;
    public const int ConfigAttrSize = 24;
    public const int AttrId = 0;
    public const int AttrValue = 8;
    public const int AttrMask = 16;

    // struct gpio_v2_line_event (48 bytes): __aligned_u64 timestamp_ns; __u32 id; __u32 offset; __u32 seqno;
    // __u32 line_seqno; __u32 padding[6].
    public const int EventSize = 48;
    public const int EventTimestamp = 0;
    public const int EventId = 8;
    public const int EventOffset = 12;
    public const int EventSeqno = 16;
    public const int EventLineSeqno = 20;

    // struct gpiochip_info (68 bytes): char name[32]; char label[32]; __u32 lines.
    public const int ChipInfoSize = 68;
    public const int ChipInfoName = 0;
    public const int ChipInfoLabel = 32;
    public const int ChipInfoLines = 64;

    public const ulong GPIO_V2_LINE_FLAG_ACTIVE_LOW = 1UL << 1;
    public const ulong GPIO_V2_LINE_FLAG_INPUT = 1UL << 2;
    public const ulong GPIO_V2_LINE_FLAG_EDGE_RISING = 1UL << 4;
    public const ulong GPIO_V2_LINE_FLAG_EDGE_FALLING = 1UL << 5;
    public const ulong GPIO_V2_LINE_FLAG_BIAS_PULL_UP = 1UL << 8;
    public const ulong GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN = 1UL << 9;
    public const ulong GPIO_V2_LINE_FLAG_BIAS_DISABLED = 1UL << 10;

    public const uint GPIO_V2_LINE_ATTR_ID_DEBOUNCE = 3;

    public const uint GPIO_V2_LINE_EVENT_RISING_EDGE = 1;
    public const uint GPIO_V2_LINE_EVENT_FALLING_EDGE = 2;

    /// <summary><c>_IOR(0xB4, 0x01, struct gpiochip_info)</c>.</summary>
    public const uint GPIO_GET_CHIPINFO_IOCTL = 0x8044B401;

    /// <summary><c>_IOWR(0xB4, 0x07, struct gpio_v2_line_request)</c>.</summary>
    public const uint GPIO_V2_GET_LINE_IOCTL = 0xC250B407;

    /// <summary>
    /// <c>_IOWR(0xB4, 0x02, struct gpioline_info)</c>: the uAPI v1 line info libgpiod 1.x needs. A kernel built without
    /// CONFIG_GPIO_CDEV_V1 (Debian's Linux 7.x) answers EINVAL; <c>struct gpioline_info</c> is 72 bytes (offset, flags, name[32], consumer[32]).
    /// </summary>
    public const uint GPIO_GET_LINEINFO_IOCTL = 0xC048B402;

    public const int LineInfoV1Size = 72;
}
