//! Whether bytes that start like an executable really are one: a file beginning with `\x7fELF`
//! and nothing else is no docker client. Checked on the client's first bytes and its size, so
//! it costs nothing on the streaming path.

use super::BinaryFormat;

/// Why `head` (the client's first bytes) of a `size`-byte file is not a plausible executable
/// in `format`; `None` when it is.
pub(super) fn implausible(format: BinaryFormat, head: &[u8], size: u64) -> Option<String> {
    match format {
        BinaryFormat::Elf => elf(head, size),
        BinaryFormat::MachO => macho(head, size),
        BinaryFormat::Pe => pe(head),
    }
}

fn u16_at(b: &[u8], at: usize, big: bool) -> Option<u64> {
    let bytes: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(u64::from(if big {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    }))
}

fn u32_at(b: &[u8], at: usize, big: bool) -> Option<u64> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u64::from(if big {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    }))
}

fn u64_at(b: &[u8], at: usize, big: bool) -> Option<u64> {
    let bytes: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(if big {
        u64::from_be_bytes(bytes)
    } else {
        u64::from_le_bytes(bytes)
    })
}

/// An ELF executable or position-independent executable, with an entry point and a program
/// header table inside the file.
fn elf(h: &[u8], size: u64) -> Option<String> {
    let (wide, big) = match (h.get(4), h.get(5)) {
        (Some(1), Some(d @ (1 | 2))) => (false, *d == 2),
        (Some(2), Some(d @ (1 | 2))) => (true, *d == 2),
        _ => return Some("its ELF class or byte order is invalid".into()),
    };
    let header_len = if wide { 64 } else { 52 };
    if h.len() < header_len {
        return Some(format!(
            "it is shorter than an ELF header ({header_len} bytes)"
        ));
    }
    let kind = u16_at(h, 16, big)?;
    if !matches!(kind, 2 | 3) {
        return Some(format!("its ELF type is {kind}, not an executable"));
    }
    let (entry, phoff, phentsize, phnum) = if wide {
        (
            u64_at(h, 24, big)?,
            u64_at(h, 32, big)?,
            u16_at(h, 54, big)?,
            u16_at(h, 56, big)?,
        )
    } else {
        (
            u32_at(h, 24, big)?,
            u32_at(h, 28, big)?,
            u16_at(h, 42, big)?,
            u16_at(h, 44, big)?,
        )
    };
    if entry == 0 {
        return Some("it has no entry point".into());
    }
    let table_end = phoff.checked_add(phentsize.checked_mul(phnum)?);
    if phnum == 0 || phentsize == 0 || table_end.is_none_or(|end| end > size) {
        return Some("its program header table is missing or lies outside the file".into());
    }
    None
}

/// A thin Mach-O executable with load commands inside the file, or a universal binary with
/// a plausible number of architectures.
fn macho(h: &[u8], size: u64) -> Option<String> {
    if h.starts_with(&[0xca, 0xfe, 0xba, 0xbe]) {
        let count = u32_at(h, 4, true)?;
        if !(1..=16).contains(&count) || size < 8 + 20 * count {
            return Some("its universal-binary header is invalid".into());
        }
        return None;
    }
    // MH_MAGIC/MH_MAGIC_64 as read little-endian from the file: `cefaedfe`/`cffaedfe`.
    let big = h.first() == Some(&0xfe);
    let header_len = if h.get(3) == Some(&0xcf) || h.first() == Some(&0xcf) {
        32
    } else {
        28
    };
    if h.len() < header_len {
        return Some(format!(
            "it is shorter than a Mach-O header ({header_len} bytes)"
        ));
    }
    let filetype = u32_at(h, 12, big)?;
    let ncmds = u32_at(h, 16, big)?;
    let sizeofcmds = u32_at(h, 20, big)?;
    if filetype != 2 {
        return Some(format!(
            "its Mach-O file type is {filetype}, not an executable"
        ));
    }
    if ncmds == 0 || header_len as u64 + sizeofcmds > size {
        return Some("its load commands are missing or lie outside the file".into());
    }
    None
}

/// A PE image: the `MZ` stub points at a `PE\0\0` header that marks an executable image.
fn pe(h: &[u8]) -> Option<String> {
    let Some(offset) = u32_at(h, 0x3c, false).and_then(|o| usize::try_from(o).ok()) else {
        return Some("it is shorter than a DOS header".into());
    };
    if h.get(offset..offset + 4) != Some(b"PE\0\0".as_slice()) {
        return Some("its DOS header points at no PE header".into());
    }
    let characteristics = u16_at(h, offset + 22, false)?;
    if characteristics & 0x0002 == 0 {
        return Some("its PE header does not mark an executable image".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal 64-bit little-endian ELF executable header with one program header.
    pub(crate) fn elf64() -> Vec<u8> {
        let mut h = vec![0u8; 120];
        h[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x00");
        h[16] = 2; // ET_EXEC
        h[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
        h[32..40].copy_from_slice(&64u64.to_le_bytes());
        h[54] = 56;
        h[56] = 1;
        h
    }

    #[test]
    fn a_real_header_passes_and_a_bare_magic_does_not() {
        let good = elf64();
        assert_eq!(implausible(BinaryFormat::Elf, &good, 120), None);
        assert!(implausible(BinaryFormat::Elf, b"\x7fELF", 4).is_some());
        let mut no_entry = good.clone();
        no_entry[24..32].fill(0);
        assert!(
            implausible(BinaryFormat::Elf, &no_entry, 120)
                .unwrap()
                .contains("entry")
        );
        let mut object = good.clone();
        object[16] = 1; // ET_REL
        assert!(implausible(BinaryFormat::Elf, &object, 120).is_some());
        // The program headers it declares must be inside the file.
        assert!(implausible(BinaryFormat::Elf, &good, 100).is_some());
    }

    #[test]
    fn mach_o_and_pe_need_their_headers_too() {
        let mut macho = vec![0xcf, 0xfa, 0xed, 0xfe, 0x07, 0, 0, 0x01];
        macho.resize(32, 0);
        macho[12] = 2; // MH_EXECUTE
        macho[16] = 1;
        macho[20] = 72;
        assert_eq!(implausible(BinaryFormat::MachO, &macho, 200), None);
        assert!(implausible(BinaryFormat::MachO, &macho[..8], 8).is_some());
        let mut pe = vec![0u8; 0x98];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        pe[0x80 + 22] = 0x22;
        assert_eq!(implausible(BinaryFormat::Pe, &pe, 0x98), None);
        assert!(implausible(BinaryFormat::Pe, b"MZ", 2).is_some());
    }
}
