import { Badge, Button, List, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMe } from '../hooks';
import { formatInstant } from '../i18n';
import { markRead, useInbox } from '../inbox';

/** The unit's notifications (arrivals, transfers, warnings, breaches, escalations …), unread first marked. */
export default function InboxPage() {
  const { t } = useTranslation();
  const me = useMe();
  const { messages, read, unread, query } = useInbox(me?.id);
  return (
    <section aria-labelledby="inbox-heading">
      <Space align="baseline" style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} id="inbox-heading" style={{ marginTop: 0 }}>
          {t('inbox.heading')} <Badge count={unread} data-testid="inbox-unread" title={t('inbox.unread', { count: unread })} />
        </Typography.Title>
        <Button disabled={unread === 0} onClick={() => me && markRead(me.id, messages.map((m) => m.id))}>{t('inbox.markAll')}</Button>
      </Space>
      <List
        data-testid="inbox" loading={query.isLoading} locale={{ emptyText: t('inbox.empty') }} dataSource={messages}
        renderItem={(m) => (
          <List.Item
            data-testid="inbox-message" data-read={String(read.has(m.id))}
            actions={[<Link key="open" to={`/tickets/${m.ticketId}`} onClick={() => me && markRead(me.id, [m.id])}>{t('inbox.open')}</Link>]}
          >
            <List.Item.Meta
              title={<Space>{!read.has(m.id) && <Tag color="blue">{t('inbox.new')}</Tag>}<span style={{ fontWeight: read.has(m.id) ? 400 : 600 }}>{m.title}</span></Space>}
              description={<span>{formatInstant(m.createdAt)} · {m.body}</span>}
            />
          </List.Item>
        )}
      />
    </section>
  );
}
