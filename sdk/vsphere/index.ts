// Resources of this platform are added here, one file each.
export {};
