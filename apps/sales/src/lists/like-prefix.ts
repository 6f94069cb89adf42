/** LIKE patterns treat % and _ as wildcards: a prefix search must match them literally. */
export const likePrefix = (value: string): string => `${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
