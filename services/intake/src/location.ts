import type { events, intake } from '@tongban/contracts';
import { LocationError, type ReferenceData, locatorFor, parseCoordinateSystem } from '@tongban/reference-data';
import { fail } from '@tongban/runtime';

type Submit = NonNullable<intake.SubmitTicketRequest['ticket']>;

/** A submission placed in its division: lat/long in WGS-84, and how the division was found. */
export interface PlacedSubmission {
  ticket: Submit;
  derivation: events.DivisionDerivation;
}

/**
 * Places a submission (see `Locator` in @tongban/reference-data): a given division is kept; else the
 * county of lat/long (GCJ-02 converted to WGS-84 first when `coordinate_system` says so), narrowed to
 * a township or village named in the address, then the description. lat/long come back in WGS-84.
 * @throws ServiceFailure INVALID_ARGUMENT invalid_coordinate_system, location_outside_jurisdiction
 *   (lat/long outside Liangshan), division_not_derivable (no division, no point, no place named).
 */
export function placeSubmission(ref: ReferenceData, t: Submit): PlacedSubmission {
  const system = parseCoordinateSystem(t.coordinateSystem || 'WGS-84');
  if (!system) throw fail.invalid('invalid_coordinate_system', `coordinate_system must be WGS-84 or GCJ-02, not ${t.coordinateSystem}`);
  const hasPoint = t.lat !== undefined && t.long !== undefined;
  try {
    const placed = locatorFor(ref.divisions).locate({
      division: t.division,
      ...(hasPoint ? { lat: t.lat!, long: t.long! } : {}),
      coordinateSystem: system,
      texts: [t.address, t.description],
    });
    return {
      ticket: {
        ...t,
        division: placed.division,
        ...(placed.wgs84 ? { long: placed.wgs84[0], lat: placed.wgs84[1] } : {}),
        coordinateSystem: hasPoint ? system : '',
      },
      derivation: { source: placed.source, county: placed.county, matchedName: placed.matchedName, coordinateSystem: hasPoint ? system : '' },
    };
  } catch (err) {
    if (err instanceof LocationError) throw fail.invalid(err.reason, err.message);
    throw err;
  }
}
