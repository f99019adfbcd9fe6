// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { hrefToPath, parseMultistatus, toResource, toTrashItem, toVersion } from './dav'

// as the server answers (src/ocis/dav): a folder with a 404 propstat, a file with a non-ASCII name
const LISTING = `<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:oc="http://owncloud.org/ns"><d:response><d:href>/remote.php/dav/files/einstein/My%20Folder/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype><d:getlastmodified>Sun, 29 Nov 2026 12:30:26 GMT</d:getlastmodified><d:getcontenttype>httpd/unix-directory</d:getcontenttype><d:getetag>"4e65"</d:getetag><oc:size>6</oc:size><oc:fileid>4ff9</oc:fileid><oc:permissions>RDNVCK</oc:permissions><oc:favorite>0</oc:favorite><oc:owner-id>einstein</oc:owner-id><oc:owner-display-name>Albert Einstein</oc:owner-display-name><oc:privatelink>https://h/index.php/f/4ff9</oc:privatelink><oc:has-preview>false</oc:has-preview></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat><d:propstat><d:prop><d:getcontentlength/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response><d:response><d:href>/remote.php/dav/files/einstein/My%20Folder/%C3%A4%20b.png</d:href><d:propstat><d:prop><d:resourcetype/><d:getlastmodified>Sun, 29 Nov 2026 12:30:26 GMT</d:getlastmodified><d:getcontentlength>6</d:getcontentlength><d:getcontenttype>image/png</d:getcontenttype><d:getetag>"c752"</d:getetag><oc:size>6</oc:size><oc:fileid>adc3</oc:fileid><oc:permissions>RDNVW</oc:permissions><oc:favorite>1</oc:favorite><oc:owner-id>einstein</oc:owner-id><oc:owner-display-name>Albert Einstein</oc:owner-display-name><oc:privatelink>https://h/index.php/f/adc3</oc:privatelink><oc:has-preview>true</oc:has-preview></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`

const TRASH = `<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:response><d:href>/remote.php/dav/trash-bin/einstein/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><d:response><d:href>/remote.php/dav/trash-bin/einstein/4ff9/</d:href><d:propstat><d:prop><oc:trashbin-original-filename>My Folder</oc:trashbin-original-filename><oc:trashbin-original-location>Docs/My Folder</oc:trashbin-original-location><oc:trashbin-delete-datetime>Sun, 29 Nov 2026 12:30:29 GMT</oc:trashbin-delete-datetime><oc:size>3</oc:size><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`

const VERSIONS = `<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:"><d:response><d:href>/remote.php/dav/meta/adc3/v/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><d:response><d:href>/remote.php/dav/meta/adc3/v/1795955429878003592</d:href><d:propstat><d:prop><d:getcontentlength>6</d:getcontentlength><d:getlastmodified>Sun, 29 Nov 2026 12:30:26 GMT</d:getlastmodified><d:getetag>"5d4a"</d:getetag><d:resourcetype/></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>`

const parse = (xml: string) => parseMultistatus(new DOMParser().parseFromString(xml, 'application/xml'))

describe('dav parsing', () => {
  it('turns a listing into resources', () => {
    const [folder, file] = parse(LISTING).map((r) => toResource(r, '/remote.php/dav/files/einstein'))
    expect(folder).toMatchObject({
      path: '/My Folder', name: 'My Folder', isFolder: true, size: 6, etag: '4e65', fileId: '4ff9',
      permissions: 'RDNVCK', favorite: false, ownerDisplayName: 'Albert Einstein', mimeType: 'httpd/unix-directory',
    })
    expect(folder.mtime?.toISOString()).toBe('2026-11-29T12:30:26.000Z')
    expect(file).toMatchObject({
      path: '/My Folder/ä b.png', name: 'ä b.png', isFolder: false, size: 6, favorite: true, hasPreview: true,
      mimeType: 'image/png', privateLink: 'https://h/index.php/f/adc3',
    })
  })

  it('maps hrefs to paths', () => {
    expect(hrefToPath('/remote.php/dav/files/einstein/', '/remote.php/dav/files/einstein')).toBe('/')
    expect(hrefToPath('/remote.php/dav/files/Einstein/a%2Fb/c', '/remote.php/dav/files/einstein')).toBe('/a/b/c')
    expect(hrefToPath('https://x/remote.php/dav/files/u%20x/%25.txt', '/remote.php/dav/files/u%20x')).toBe('/%.txt')
  })

  it('reads the trash bin', () => {
    const items = parse(TRASH).slice(1).map((r) => toTrashItem(r, '/remote.php/dav/trash-bin/einstein'))
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ key: '4ff9', name: 'My Folder', originalLocation: '/Docs/My Folder', isFolder: true, size: 3 })
  })

  it('reads versions', () => {
    const [v] = parse(VERSIONS).slice(1).map(toVersion)
    expect(v).toMatchObject({ key: '1795955429878003592', size: 6, etag: '5d4a' })
  })
})
